"""Join an endpoint's base URL and a step's path.

The path is always a path below the base URL, never a URL reference: a colon
in it is never a scheme, and it cannot name another host. Exactly one slash
joins the two, the base path is kept, and percent-encoding and the query
string are passed on as given. Paths that would leave the base URL (an
absolute URL, ``//host``, or ``..`` segments that climb above the base path)
raise `InvalidPathError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode, urlsplit

from .errors import InvalidPathError

# "scheme://" at the start: RFC 3986, section 3.1 allows letters, digits,
# "+", "-" and "." in a scheme.
_ABSOLUTE_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")

ParamValue = str | int | float | bool | None
Params = (
    Mapping[str, ParamValue | Sequence[ParamValue]] | Sequence[tuple[str, ParamValue]]
)


def join_url(base_url: str, path: str = "", params: Params | None = None) -> str:
    """Return ``base_url`` with ``path`` (and ``params``) appended.

    ``params`` are percent-encoded and appended after any query string that
    ``path`` already carries, which is kept exactly as written.
    """
    _check_path(path)
    path_part, separator, query = path.partition("?")
    _check_dot_segments(path_part)

    joined = base_url
    if path_part:
        base_path = urlsplit(base_url).path
        joined = base_url.rstrip("/") if base_path else base_url
        joined = f"{joined}/{_remove_dot_segments(path_part.lstrip('/'))}"
    if separator:
        joined = f"{joined}?{query}"
    encoded = _encode_params(params)
    if not encoded:
        return joined
    if not separator:
        return f"{joined}?{encoded}"
    if query:
        return f"{joined}&{encoded}"
    return f"{joined}{encoded}"


def _check_path(path: str) -> None:
    if _ABSOLUTE_URL_RE.match(path):
        raise InvalidPathError(
            "The path is an absolute URL. Give a path below the endpoint's base "
            "URL instead; requests never leave the endpoint's host."
        )
    if path.startswith("//"):
        raise InvalidPathError(
            "The path starts with '//', which names another host. Start it with "
            "one slash or none."
        )
    if "\\" in path:
        raise InvalidPathError(
            "The path contains a backslash, which some servers read as '/'. "
            "Percent-encode it as %5C if it is meant literally."
        )
    if "#" in path:
        raise InvalidPathError(
            "The path contains '#', and a fragment is never sent. Percent-encode "
            "it as %23 if it is meant literally."
        )
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in path):
        raise InvalidPathError(
            "The path contains spaces or control characters; percent-encode them."
        )


def _is_dot_segment(segment: str, dots: str) -> bool:
    # Servers may decode %2e before they resolve dot segments, so ".%2e" and
    # "%2E%2e" count as ".." as well.
    return segment.lower().replace("%2e", ".") == dots


def _check_dot_segments(path: str) -> None:
    depth = 0
    for segment in path.lstrip("/").split("/"):
        if _is_dot_segment(segment, ".."):
            depth -= 1
            if depth < 0:
                raise InvalidPathError(
                    "The path climbs above the endpoint's base path with '..'. "
                    "Give a path below the base URL."
                )
        elif segment and not _is_dot_segment(segment, "."):
            depth += 1


def _remove_dot_segments(path: str) -> str:
    # `_check_dot_segments` has already ensured that no ".." climbs above the
    # base path, so resolving them here cannot leave it.
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if _is_dot_segment(segment, "."):
            if last:
                output.append("")
            continue
        if _is_dot_segment(segment, ".."):
            if output:
                output.pop()
            if last:
                output.append("")
            continue
        output.append(segment)
    return "/".join(output)


def _encode_params(params: Params | None) -> str:
    if not params:
        return ""
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for name, value in items:
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            pairs.append((name, _param_text(item)))
    return urlencode(pairs)


def _param_text(value: ParamValue) -> str:
    # The same spelling that httpx2 uses for params: lower-case booleans and
    # an empty string for None.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
