"""Removing secrets from text that the console shows, stores or logs.

A target or a provider may send a secret back in another form than the one
the console sent: percent-encoded in a query string or a form body (with
``+`` for a space), escaped in a JSON string, HTML-escaped, or inside a
derived credential such as HTTP Basic's base64 ``user:password``. Auth types
return the derived credentials from `AuthType.secret_values`, and `redact`
matches each secret in all of these encodings, mixed in any way, in any
letter case, and base64-encoded (standard or URL-safe, inside a longer
encoded text too). Letters and digits match percent-encoded, JSON- and
HTML-escaped as well, though no encoder changes them. Line breaks (with
the spaces that fold a header) and invisible characters (NUL, which a
UTF-16 body read as UTF-8 puts between its letters, soft hyphens and
zero-width characters) may stand between the characters of a secret.

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
# The characters allowed between two characters of a secret: invisible ones
# and line breaks, each with the spaces or tabs that fold a line.
_BETWEEN_CHARS = r"(?:[\x00\u00ad\u200b-\u200d\u2060\ufeff]|\\?\r?\n[ \t]*)*"
_BETWEEN_CHARS_RE = re.compile(_BETWEEN_CHARS[:-1] + "+")
# The hex codes of ASCII letters and digits (0x30-0x39, 0x41-0x5A, 0x61-0x7A)
# and their decimal codes (48-57, 65-90, 97-122).
_ALNUM_HEX = r"(?:3[0-9]|[46][1-9a-f]|[57][0-9a])"
_ALNUM_DECIMAL = r"(?:4[89]|5[0-7]|6[5-9]|[78][0-9]|9[07-9]|1[01][0-9]|12[0-2])"
# A letter or digit percent-encoded, or as a JSON or HTML escape.
_ESCAPED_LETTER_RE = re.compile(
    rf"%{_ALNUM_HEX}|\\u00{_ALNUM_HEX}|&#(?:x{_ALNUM_HEX}|{_ALNUM_DECIMAL});",
    re.IGNORECASE,
)


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
    # Encoders leave letters and digits as they are, so a text without a
    # secret's longest run of them, in any case and with no characters
    # between them, cannot contain the secret. A text that escapes letters
    # too (%6B, \u006b, &#107;) is searched for every secret.
    if _ESCAPED_LETTER_RE.search(text):
        present = values
    else:
        folded = _BETWEEN_CHARS_RE.sub("", text).lower()
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
    """Return the secret's base64 forms, alone and inside a longer text.

    Inside a longer encoded text (``"Bearer " + secret``, say) the secret
    starts at one of three offsets in a group of three bytes. For each, the
    characters that depend only on the secret's bytes are kept. Only forms
    long enough to be replaced anywhere are returned: a shorter one is a few
    letters that ordinary text contains.
    """
    raw = secret.encode()
    forms = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        alone = encode(raw).decode()
        forms |= {alone, alone.rstrip("=")}
        for offset, first_stable in ((1, 2), (2, 3)):
            shifted = encode(bytes(offset) + raw).decode()
            full_groups = (offset + len(raw)) // 3
            forms.add(shifted[first_stable : full_groups * 4])
        # At offset 0 inside a longer text, the last partial group depends
        # on the bytes that follow.
        forms.add(alone[: len(raw) // 3 * 4])
    return {form for form in forms if len(form) >= SUBSTRING_MIN_LENGTH}


def _witness(secret: str) -> str:
    runs = _WORD_RUN_RE.findall(secret)
    return max(runs, key=len) if runs else ""


def _secret_pattern(secret: str) -> str:
    body = _BETWEEN_CHARS.join(_char_pattern(char) for char in secret)
    if len(secret) >= SUBSTRING_MIN_LENGTH:
        return f"(?:{body})"
    return f"(?:{_VALUE_START}{body}{_VALUE_END})"


def _char_pattern(char: str) -> str:
    """Return a pattern for one character of a secret in every encoding."""
    forms = [re.escape(char)]
    # Percent-encoding of the UTF-8 bytes, in either letter case.
    forms.append("".join(f"%{_hex_pattern(f'{byte:02X}')}" for byte in char.encode()))
    if char == " ":
        forms.append(r"\+")
    if char in _JSON_SHORT_ESCAPES:
        forms.append(re.escape(_JSON_SHORT_ESCAPES[char]))
    forms.append(_json_unicode_escape(char))
    # HTML numeric references, decimal and hex (letters in either case).
    forms.append(f"&#0*{ord(char)};")
    forms.append(f"&#x0*{ord(char):x};")
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
