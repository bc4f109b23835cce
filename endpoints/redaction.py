"""Removing secrets from text that the console shows, stores or logs.

A target or a provider may send a secret back in another form than the one
the console sent: percent-encoded in a query string or a form body (with
``+`` for a space), escaped in a JSON string, HTML-escaped, or inside a
derived credential such as HTTP Basic's base64 ``user:password``. Auth types
return the derived credentials from `AuthType.secret_values`, and `redact`
matches each secret in all of these encodings, mixed in any way, in any
letter case, and base64-encoded on its own (standard or URL-safe, with or
without padding).

A secret of `SUBSTRING_MIN_LENGTH` or more characters is replaced wherever
it occurs. A shorter secret is replaced only where it stands as a whole
value, as a target echoes a form field, a JSON string or a header: after
the start of a line, ``=``, a quote or a colon (and one space), and before
the end of a line, ``&``, ``;`` or a quote. In running text a short secret
cannot be told apart from an ordinary word, and replacing every occurrence
would show where the secret's letters are.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

REDACTED = "[redacted]"

# Secrets at least this long are replaced wherever they occur. The export's
# leak check uses the same limit.
SUBSTRING_MIN_LENGTH = 8

# Characters that no URL, form or JSON encoder changes (RFC 3986's
# unreserved characters, except "~", which some encoders percent-encode).
_NEVER_ENCODED = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._"
)
_JSON_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_HTML_ESCAPES = {
    "&": ("&amp;", "&#38;", "&#x26;"),
    "<": ("&lt;", "&#60;", "&#x3c;"),
    ">": ("&gt;", "&#62;", "&#x3e;"),
    '"': ("&quot;", "&#34;", "&#x22;"),
    "'": ("&#39;", "&#x27;", "&apos;"),
}
# Characters past an excerpt's end that are searched for secrets before the
# excerpt is cut, so that the cut cannot leave the start of a secret that no
# longer matches. Longer than every encoding of the longest secret that the
# forms accept (4,096 characters, 12 each when percent-encoded).
EXCERPT_MARGIN_CHARS = 64 * 1024
# Boundaries at which a short secret counts as a whole value.
_VALUE_START = r"(?:^|(?<=[\n\r=\"'`])|(?<=:)|(?<=: ))"
_VALUE_END = r"(?=$|[\n\r&;\"'`])"
_WORD_RUN_RE = re.compile(r"[A-Za-z0-9]+")


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace each secret in ``text``, in any of its encodings, by REDACTED.

    See the module for the forms matched and for the rule on short secrets.
    """
    plain = {secret for secret in secrets if isinstance(secret, str) and secret}
    values = sorted(
        plain | {form for secret in plain for form in _base64_forms(secret)},
        key=len,
        reverse=True,
    )
    # A secret's letters and digits are never encoded, so a text without its
    # longest run of them, in any case, cannot contain it in any form.
    folded = text.lower()
    present = [value for value in values if _witness(value).lower() in folded]
    if not present:
        return text
    pattern = "|".join(_secret_pattern(value) for value in present)
    return re.sub(pattern, REDACTED, text, flags=re.MULTILINE | re.IGNORECASE)


def redact_excerpt(text: str, secrets: Iterable[str], limit: int) -> str:
    """Return the start of ``text``, at most ``limit`` characters, redacted.

    Pass more of the text than the excerpt, up to EXCERPT_MARGIN_CHARS
    beyond ``limit``: secrets are replaced before the text is cut.
    """
    return redact(text[: limit + EXCERPT_MARGIN_CHARS], secrets)[:limit]


def _base64_forms(secret: str) -> set[str]:
    # Only forms long enough to be replaced anywhere: a shorter one is a
    # few letters that ordinary text contains.
    raw = secret.encode()
    forms = set()
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode()
        forms |= {text, text.rstrip("=")}
    return {form for form in forms if len(form) >= SUBSTRING_MIN_LENGTH}


def _witness(secret: str) -> str:
    runs = _WORD_RUN_RE.findall(secret)
    return max(runs, key=len) if runs else ""


def _secret_pattern(secret: str) -> str:
    body = "".join(_char_pattern(char) for char in secret)
    if len(secret) >= SUBSTRING_MIN_LENGTH:
        return f"(?:{body})"
    return f"(?:{_VALUE_START}{body}{_VALUE_END})"


def _char_pattern(char: str) -> str:
    """Return a pattern for one character of a secret in every encoding."""
    if char in _NEVER_ENCODED:
        return re.escape(char)
    forms = [re.escape(char)]
    # Percent-encoding of the UTF-8 bytes, in either letter case.
    forms.append("".join(f"%{_hex_pattern(f'{byte:02X}')}" for byte in char.encode()))
    if char == " ":
        forms.append(r"\+")
    if char in _JSON_SHORT_ESCAPES:
        forms.append(re.escape(_JSON_SHORT_ESCAPES[char]))
    forms.append(_json_unicode_escape(char))
    forms.extend(
        _hex_pattern(re.escape(entity)) for entity in _HTML_ESCAPES.get(char, ())
    )
    return "(?:" + "|".join(forms) + ")"


def _json_unicode_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        units = [code]
    else:
        # Outside the Basic Multilingual Plane, JSON writes a surrogate pair.
        code -= 0x10000
        units = [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]
    return "".join(
        re.escape("\\") + "u" + _hex_pattern(f"{unit:04X}") for unit in units
    )


def _hex_pattern(text: str) -> str:
    # Hex digits and entity letters in either case; "%2b" and "%2B" alike.
    return "".join(
        f"[{char.upper()}{char.lower()}]" if char.isalpha() else char for char in text
    )
