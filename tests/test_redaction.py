"""Redaction of secrets in the encodings that targets and providers echo."""

import base64
import html
import json
import re
from urllib.parse import quote, quote_plus

import pytest

from endpoints.auth.basic import encode_credential
from endpoints.models import AuthConfig
from endpoints.redaction import (
    REDACTED,
    SUBSTRING_MIN_LENGTH,
    redact,
    redact_excerpt,
)

# Long enough to be replaced anywhere, with a space, URL, JSON and HTML
# delimiters and a character outside ASCII.
SECRET = 'PLANTED s3cr/t+&"<é>'
# Outside the Basic Multilingual Plane, which JSON writes as two escapes.
ASTRAL_SECRET = "PLANTED-emoji-\U0001f511-key"
SHORT = "pw12"


def percent_lower(value: str) -> str:
    """Percent-encode like quote(), but with lower-case hex digits."""
    return re.sub(
        r"%[0-9A-F]{2}", lambda match: match[0].lower(), quote(value, safe="")
    )


def html_numeric(value: str) -> str:
    return "".join(f"&#{ord(char)};" if char in "&<>\"'" else char for char in value)


def mixed(value: str) -> str:
    """Encode each character by the next of four encodings in turn."""
    encoders = (
        lambda char: quote(char, safe=""),
        lambda char: json.dumps(char)[1:-1],
        html.escape,
        lambda char: char,
    )
    return "".join(
        encoders[index % len(encoders)](char) for index, char in enumerate(value)
    )


ENCODINGS = {
    "plain": lambda value: value,
    "percent": lambda value: quote(value, safe=""),
    "percent lower-case hex": percent_lower,
    "form, plus for space": quote_plus,
    "json ascii": lambda value: json.dumps(value)[1:-1],
    "json unicode": lambda value: json.dumps(value, ensure_ascii=False)[1:-1],
    "json slash escaped": lambda value: json.dumps(value)[1:-1].replace("/", "\\/"),
    "html named": html.escape,
    "html numeric": html_numeric,
    "mixed": mixed,
    "percent inside json": lambda value: json.dumps(quote_plus(value))[1:-1],
    "upper case": str.upper,
    "lower case": str.lower,
    "percent, upper case": lambda value: quote(value, safe="").upper(),
    "base64": lambda value: base64.b64encode(value.encode()).decode(),
    "base64 without padding": lambda value: (
        base64.b64encode(value.encode()).decode().rstrip("=")
    ),
    "base64 url-safe": lambda value: base64.urlsafe_b64encode(value.encode()).decode(),
    "every character percent-encoded": lambda value: "".join(
        "".join(f"%{byte:02X}" for byte in char.encode()) for char in value
    ),
    "every character a json escape": lambda value: "".join(
        f"\\u{ord(char):04x}" if ord(char) < 0x10000 else json.dumps(char)[1:-1]
        for char in value
    ),
    "every character an html reference": lambda value: "".join(
        f"&#{ord(char)};" for char in value
    ),
    "soft hyphens between": lambda value: "\u00ad".join(value),
    "zero-width spaces between": lambda value: "\u200b".join(value),
    "folded across lines": lambda value: value[:5] + "\r\n " + value[5:],
}


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
@pytest.mark.parametrize("secret", [SECRET, ASTRAL_SECRET], ids=["bmp", "astral"])
def test_encoded_secret_redacted(encode, secret):
    encoded = encode(secret)
    text = f"echo: before {encoded} after"

    redacted = redact(text, [secret])

    assert redacted == f"echo: before {REDACTED} after"


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_encoded_secret_redacted_every_time(encode):
    encoded = encode(SECRET)
    text = f"{encoded}\n{encoded}&{encoded}"

    assert redact(text, [SECRET]) == f"{REDACTED}\n{REDACTED}&{REDACTED}"


@pytest.mark.parametrize("prefix", ["", "x", "xy", "Bearer ", '{"token": "'])
@pytest.mark.parametrize(
    "encode",
    [base64.b64encode, base64.urlsafe_b64encode],
    ids=["standard", "url-safe"],
)
def test_secret_inside_base64_text_redacted(prefix, encode):
    encoded = encode((prefix + SECRET + " and more").encode()).decode()

    redacted = redact(f"echo: {encoded}", [SECRET])

    assert REDACTED in redacted
    for start in range(len(redacted) - 11):
        assert redacted[start : start + 12] not in encode(SECRET.encode()).decode()


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_wide_encoding_read_as_utf8_redacted(codec):
    # A body in UTF-16 or UTF-32 without a charset is read as UTF-8, which
    # puts NULs between the letters of an ASCII secret.
    secret = "PLANTED-wide-token-7Kq2"
    body = f"echo: {secret} done".encode(codec).decode("utf-8", errors="replace")

    redacted = redact(body, [secret])

    assert secret not in redacted.replace("\x00", "")
    assert REDACTED in redacted


def test_base64_of_other_text_untouched():
    encoded = base64.b64encode(b"an ordinary response body, long enough").decode()

    assert redact(encoded, [SECRET]) == encoded


def test_other_text_untouched():
    text = 'PLANTED s3cr/t+&"<e> is not the secret'

    assert redact(text, [SECRET]) == text


def test_basic_credential_redacted():
    password = "PLANTED-pässwörd:€"
    credential = encode_credential("opérateur", password)
    config = AuthConfig(
        auth_type="basic",
        params={"username": "opérateur", "preemptive": True},
        secrets={"credential": credential},
    )
    secrets = config.type.secret_values()
    text = (
        f"Authorization: Basic {credential}\n"
        f"password={quote_plus(password)}&x=1\n"
        f'{{"password": {json.dumps(password)}}}'
    )

    redacted = redact(text, secrets)

    assert redacted == (
        f"Authorization: Basic {REDACTED}\n"
        f"password={REDACTED}&x=1\n"
        f'{{"password": "{REDACTED}"}}'
    )


def test_client_secret_basic_credential_redacted():
    client_id = "console client:1+é"
    client_secret = "PLANTED secret:+/é"
    config = AuthConfig(
        auth_type="oauth2_password",
        params={
            "token_url": "https://login.example.test/token",
            "username": "alice",
            "client_id": client_id,
            "token_endpoint_auth_method": "client_secret_basic",
        },
        secrets={"password": "PLANTED-oauth-pw-11aa", "client_secret": client_secret},
    )
    # RFC 6749, section 2.3.1: each part form-encoded, then joined and
    # base64-encoded.
    form_encoded = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    credential = base64.b64encode(form_encoded.encode("ascii")).decode("ascii")
    text = f"Rejected Authorization Basic {credential} for client {client_id}"

    redacted = redact(text, config.type.secret_values())

    assert redacted == f"Rejected Authorization Basic {REDACTED} for client {client_id}"


WHOLE_VALUES = [
    (f"password={SHORT}&next=1", f"password={REDACTED}&next=1"),
    (f'{{"password": "{SHORT}"}}', f'{{"password": "{REDACTED}"}}'),
    (f"X-Token: {SHORT}\nX-Other: 1", f"X-Token: {REDACTED}\nX-Other: 1"),
    (f"X-Token:{SHORT}", f"X-Token:{REDACTED}"),
    (f"{SHORT}", REDACTED),
    (f"token='{SHORT}';", f"token='{REDACTED}';"),
]


@pytest.mark.parametrize(("text", "expected"), WHOLE_VALUES)
def test_short_secret_redacted_as_whole_value(text, expected):
    assert redact(text, [SHORT]) == expected


RUNNING_WORDS = [
    f"the {SHORT} value",
    f"password={SHORT}5&next=1",
    f"password=x{SHORT}&next=1",
    f"{SHORT}s and more",
    f"checksum: a{SHORT}",
]


@pytest.mark.parametrize("text", RUNNING_WORDS)
def test_short_secret_kept_inside_words(text):
    assert redact(text, [SHORT]) == text


def test_short_secret_percent_encoded_as_whole_value():
    short = "p&w 1"

    redacted = redact("user=a&password=p%26w+1&next=1", [short])

    assert redacted == f"user=a&password={REDACTED}&next=1"


def test_short_limit_is_whole_value_boundary():
    long_enough = "k" * SUBSTRING_MIN_LENGTH
    too_short = "k" * (SUBSTRING_MIN_LENGTH - 1)

    assert redact(f"x{long_enough}x", [long_enough]) == f"x{REDACTED}x"
    assert redact(f"x{too_short}x", [too_short]) == f"x{too_short}x"


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_excerpt_cut_inside_secret_leaves_no_start(encode):
    encoded = encode(SECRET)
    limit = 100
    # The cut falls after the first few characters of the encoded secret.
    text = "a" * (limit - 5) + encoded + " and the rest"

    excerpt = redact_excerpt(text, [SECRET], limit)

    assert len(excerpt) == limit
    assert excerpt == ("a" * (limit - 5) + REDACTED)[:limit]
    assert encoded[:5] not in excerpt


def test_excerpt_keeps_short_text():
    text = f"status ok, token {SECRET}"

    assert redact_excerpt(text, [SECRET], 300) == f"status ok, token {REDACTED}"
