"""Validators for names, base URLs and HTTP header parts.

Each raises a `ValidationError` with a stable ``code`` so that tests assert
the code and pages show the message.
"""

import ipaddress
import math
import re
import unicodedata
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

# The workflow page shows the whole description, so it is kept to a few
# paragraphs.
DESCRIPTION_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 100


def is_positive_seconds(value: object) -> bool:
    """Return whether ``value`` is a positive, finite number of seconds."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value) and value > 0
    except OverflowError:
        # An int too large for a float, such as 10**400.
        return False


# RFC 9110, section 5.6.2: a header name is a "token" of these characters.
_TOKEN_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")

# Headers that describe the message framing or the connection. A value set
# for them by an endpoint would corrupt the request instead of authenticating
# it.
RESERVED_HEADER_NAMES = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "upgrade", "te"}
)


# The Unicode general category Cc, which the Unicode stability policy fixes
# as exactly these 65 code points (C0 controls, DEL and C1 controls).
_CONTROL_CHARACTER_RE = re.compile("[\x00-\x1f\x7f-\x9f]")


def has_control_characters(value: str) -> bool:
    """Return whether the text contains a Unicode control character."""
    return _CONTROL_CHARACTER_RE.search(value) is not None


def strip_control_characters(value: str) -> str:
    """Return the text without its Unicode control characters.

    Search parameters go through this, because PostgreSQL text values
    cannot contain NUL and no name or URL contains a control character.
    """
    return "".join(char for char in value if unicodedata.category(char) != "Cc")


# Zero-width non-joiner and joiner: format characters that Persian, Indic
# and other scripts need to spell some words correctly.
_ALLOWED_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})


def first_invisible_character(value: str) -> str | None:
    """Return the first Unicode format character (category Cf) in the text.

    Format characters are invisible or change the text's direction (such as
    U+200B, U+202E, U+2066 to U+2069 and U+FEFF), so two names that differ
    only by one look the same. U+200C and U+200D are not reported.
    """
    if value.isascii():
        # No ASCII character is in category Cf, and most names are ASCII.
        return None
    for char in value:
        if (
            unicodedata.category(char) == "Cf"
            and char not in _ALLOWED_FORMAT_CHARACTERS
        ):
            return char
    return None


def code_point(char: str) -> str:
    """Return the character's code point as written in Unicode, "U+202E"."""
    return f"U+{ord(char):04X}"


def name_key(name: str) -> str:
    """Return the form of a name that uniqueness is checked on.

    Names that differ only by letter case, or by Unicode normalization, get
    the same key.
    """
    return unicodedata.normalize("NFKC", name).casefold()


def _validate_text(value: str, noun: str) -> None:
    # ``noun`` is "name" or "label", for the messages.
    if not value or not value.strip():
        raise ValidationError(f"Enter a {noun}.", code="required")
    if len(value) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"Use at most %(limit)d characters (this {noun} has %(length)d).",
            code="max_length",
            params={"limit": NAME_MAX_LENGTH, "length": len(value)},
        )
    if has_control_characters(value):
        raise ValidationError(
            f"Remove the line breaks and control characters from the {noun}.",
            code="control_characters",
        )
    invisible = first_invisible_character(value)
    if invisible is not None:
        raise ValidationError(
            f"Remove the invisible character %(code_point)s from the {noun}; "
            f"with it, two {noun}s can look the same.",
            code="invisible_characters",
            params={"code_point": code_point(invisible)},
        )


def validate_display_name(value: str) -> None:
    """Reject a blank or too long name, or one with invisible characters."""
    _validate_text(value, "name")


def validate_label(value: str) -> None:
    """Reject a step usage label as `validate_display_name` rejects a name."""
    _validate_text(value, "label")


def validate_base_url(value: str) -> None:
    """Reject anything but ``http(s)://host[:port][/path]``.

    User-info, a query and a fragment are rejected because steps append paths
    and query strings of their own, and credentials belong in the endpoint's
    authentication, never in its URL.
    """
    if not value:
        raise ValidationError("Enter a base URL.", code="required")
    if any(char.isspace() for char in value) or has_control_characters(value):
        raise ValidationError(
            "Remove the spaces and control characters from the base URL.",
            code="invalid_characters",
        )
    _check_url_characters(value)

    try:
        parts = urlsplit(value)
    except ValueError as error:
        # urlsplit raises for a malformed bracketed IPv6 host, and for a
        # host whose NFKC form contains a delimiter such as "#" or "@".
        raise ValidationError(
            "Enter a valid URL, such as https://api.example.com/v2. Put an IPv6 "
            "address in square brackets, such as https://[2001:db8::10]/.",
            code="invalid",
        ) from error
    try:
        port = parts.port
    except ValueError as error:
        raise ValidationError(
            "Use a port number from 1 to 65535.", code="invalid_port"
        ) from error

    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not value.lower().startswith(f"{scheme}://"):
        raise ValidationError(
            "Start the base URL with http:// or https://.",
            code="invalid_scheme",
        )
    if "@" in parts.netloc:
        raise ValidationError(
            "Remove the user name and password from the base URL; set them in the "
            "endpoint's authentication instead.",
            code="userinfo",
        )
    if not parts.hostname:
        raise ValidationError(
            "Add a host name to the base URL, such as https://api.example.com.",
            code="missing_host",
        )
    _check_host(parts.hostname, parts.netloc)
    if port == 0:
        raise ValidationError("Use a port number from 1 to 65535.", code="invalid_port")
    if "?" in value:
        raise ValidationError(
            "Remove the query string from the base URL; steps add their own.",
            code="query",
        )
    if "#" in value:
        raise ValidationError(
            "Remove the fragment (the part after #) from the base URL.",
            code="fragment",
        )
    if _has_dot_segment(parts.path):
        raise ValidationError(
            "Remove the '.' and '..' segments from the base URL's path.",
            code="dot_segment",
        )


# Characters that RFC 3986 does not allow anywhere in a URL, and that
# browsers and HTTP clients percent-encode or reject inconsistently.
_UNSAFE_URL_CHARACTERS = frozenset('<>"{}|\\^`')

# A "%" that does not start a percent-encoded octet (RFC 3986, section 2.1).
_BAD_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _check_url_characters(value: str) -> None:
    invisible = next(
        (char for char in value if unicodedata.category(char) == "Cf"), None
    )
    if invisible is not None:
        # Unlike names, a URL gets no exception for U+200C and U+200D: the
        # IDNA encoding of a host drops them, so the host would silently
        # change.
        raise ValidationError(
            "Remove the invisible character %(code_point)s from the base URL.",
            code="invisible_characters",
            params={"code_point": code_point(invisible)},
        )
    unsafe = next((char for char in value if char in _UNSAFE_URL_CHARACTERS), None)
    if unsafe is not None:
        raise ValidationError(
            "Remove the character “%(char)s” from the base URL, or percent-encode "
            "it as %(encoded)s; it is not valid in a URL.",
            code="invalid_characters",
            params={"char": unsafe, "encoded": f"%{ord(unsafe):02X}"},
        )
    if _BAD_PERCENT_RE.search(value):
        raise ValidationError(
            "Write a percent sign in the base URL as %25: a % must be followed by "
            "two hex digits, as in %20.",
            code="invalid_percent_encoding",
        )


_HOST_LABEL_RE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")

# A last label that makes URL parsers read the whole host as an IPv4 number.
# The WHATWG URL standard does so, and so does glibc's getaddrinfo, which
# many HTTP clients call: "2130706433", "0x7f000001", "127.1" and
# "0177.0.0.1" all reach 127.0.0.1.
_NUMERIC_LABEL_RE = re.compile(r"^(?:[0-9]+|0[xX][0-9A-Fa-f]*)$")


def _check_host(hostname: str, netloc: str) -> None:
    if netloc.startswith("["):
        # urlsplit has already checked that a bracketed host is an IPv6
        # address.
        return
    symbol = next(
        (
            char
            for char in hostname
            if not char.isascii() and unicodedata.category(char)[0] not in "LMN"
        ),
        None,
    )
    if symbol is not None:
        raise ValidationError(
            "Remove “%(char)s” from the host name; a host name may contain only "
            "letters, digits, hyphens and dots.",
            code="invalid_host",
            params={"char": symbol},
        )
    # IDNA maps compatibility forms such as the full-width "ｅ" to "e", so
    # such a host reaches the plain-letter host while it is stored and shown
    # as typed: a look-alike of another endpoint's host.
    look_alike = next(
        (char for char in hostname if unicodedata.normalize("NFKC", char) != char),
        None,
    )
    if look_alike is not None:
        raise ValidationError(
            "Write “%(char)s” in the host name as “%(plain)s”; the host name "
            "must use the plain form of each character.",
            code="invalid_host",
            params={
                "char": look_alike,
                "plain": unicodedata.normalize("NFKC", look_alike),
            },
        )
    try:
        ascii_host = hostname.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    labels = ascii_host.rstrip(".").split(".")
    if not all(_HOST_LABEL_RE.match(label) for label in labels):
        raise ValidationError(
            "Enter a valid host name or IP address in the base URL.",
            code="invalid_host",
        )
    if _NUMERIC_LABEL_RE.match(labels[-1]) and not _is_dotted_ipv4(hostname):
        raise ValidationError(
            "Write IPv4 addresses as four decimal numbers, such as 192.0.2.10.",
            code="invalid_host",
        )


def _is_dotted_ipv4(hostname: str) -> bool:
    # ipaddress accepts only four decimal numbers without leading zeros.
    try:
        ipaddress.IPv4Address(hostname)
    except ValueError:
        return False
    return True


def _has_dot_segment(path: str) -> bool:
    # A server may decode %2e before resolving dot segments, and the WHATWG
    # URL standard treats ".%2e" and "%2e%2e" as "..", so they count as well.
    return any(
        segment.lower().replace("%2e", ".") in (".", "..")
        for segment in path.split("/")
    )


def validate_not_blocked_address(url: str) -> None:
    """Reject a URL whose host is an IP address in a blocked network.

    The blocked networks are ENDPOINT_BLOCKED_NETWORKS, checked as the
    runtime checks them. A host name is left to the runtime, which checks
    every address it resolves to at connect time; an address written in
    the URL can be rejected at once. Base URLs in the endpoint forms, the
    admin and the import, and OAuth 2.0 URLs, all pass this check.
    """
    # The runtime imports the models, which import this module.
    from .runtime.network import NetworkGuard, describe_blocked_network

    try:
        address = ipaddress.ip_address(urlsplit(url).hostname or "")
    except ValueError:
        return
    network = NetworkGuard.from_settings().blocked_network(address)
    if network is not None:
        raise ValidationError(
            "The address %(address)s %(reason)s, so endpoints may not connect to it.",
            code="blocked_address",
            params={"address": address, "reason": describe_blocked_network(network)},
        )


def validate_header_name(value: str) -> None:
    """Reject a header name that is not an RFC 9110 token or is reserved."""
    if not _TOKEN_RE.match(value):
        raise ValidationError(
            "Use only letters, digits and !#$%&'*+-.^_`|~ in a header name, "
            "with no spaces or colons.",
            code="invalid_header_name",
        )
    if value.lower() in RESERVED_HEADER_NAMES:
        raise ValidationError(
            "%(name)s is set by the HTTP client itself; choose another header.",
            code="reserved_header_name",
            params={"name": value},
        )


def validate_header_value(value: str) -> None:
    """Reject a header value with a line break, NUL or non-ASCII character.

    A CR or LF would let the value start a new header. httpx2 encodes header
    values as ASCII, so anything else could not be sent.
    """
    if any(char in value for char in "\r\n\0"):
        raise ValidationError(
            "Remove the line breaks from this value; a header value must be one line.",
            code="header_line_break",
        )
    if any(not (char == "\t" or " " <= char <= "~") for char in value):
        raise ValidationError(
            "Use only printable ASCII characters in a header value.",
            code="header_not_ascii",
        )


def validate_token_prefix(value: str) -> None:
    """Reject a token prefix that is not one authentication scheme word."""
    if value and not _TOKEN_RE.match(value):
        raise ValidationError(
            "Use one word with no spaces as the prefix, such as Bearer or Token.",
            code="invalid_prefix",
        )


def validate_basic_username(value: str) -> None:
    """Reject a Basic username that HTTP Basic cannot carry (RFC 7617)."""
    if ":" in value:
        raise ValidationError(
            "Remove the colon from the username; HTTP Basic separates the username "
            "from the password with a colon.",
            code="colon_in_username",
        )
    if has_control_characters(value):
        raise ValidationError(
            "Remove the control characters from the username.",
            code="control_characters",
        )


def validate_oauth_url(value: str) -> None:
    """Reject an OAuth 2.0 endpoint URL that is not ``http(s)://host/...``.

    A query string is allowed, since some providers put a tenant or a
    version there. User-info and a fragment are not (RFC 6749, sections
    3.1 and 3.2), and neither is an address in a blocked network.
    """
    if any(char.isspace() for char in value) or has_control_characters(value):
        raise ValidationError(
            "Remove the spaces and control characters from the URL.",
            code="invalid_characters",
        )
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (parsing the port raises on a bad one)
    except ValueError as error:
        raise ValidationError(
            "Enter a valid URL, such as https://login.example.com/oauth/token "
            "(%(reason)s).",
            code="invalid",
            params={"reason": str(error)},
        ) from error
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not value.lower().startswith(f"{scheme}://"):
        raise ValidationError(
            "Start the URL with https:// (or http:// for a server on this network).",
            code="invalid_scheme",
        )
    if "@" in parts.netloc:
        raise ValidationError(
            "Remove the user name and password from the URL; the client ID and "
            "secret have fields of their own.",
            code="userinfo",
        )
    if not parts.hostname:
        raise ValidationError(
            "Add a host name to the URL, such as https://login.example.com.",
            code="missing_host",
        )
    if parts.fragment or value.endswith("#"):
        raise ValidationError(
            "Remove the fragment (the part from #) from the URL.", code="fragment"
        )
    validate_not_blocked_address(value)
