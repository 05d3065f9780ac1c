"""JSON bodies read strictly: one meaning per byte.

orjson is fast and right about what JSON is, but two things it reads loosely would let one body mean two things:

- **duplicate keys**: ``{"incident": "a", "incident": "b"}`` is read as ``"b"``, while another reader (a proxy, an
  audit tool, a partner's own log) may take ``"a"``. A duplicate key is refused: 400 naming the key.
- **integers beyond 2^53 - 1**: JavaScript and most JSON peers hold numbers as IEEE doubles, and orjson turns an
  integer beyond 64 bits into a float; either way a report would not come back as it was sent. Such an integer is
  refused: 422 at its path (a batch is refused whole, as a body that is not JSON is).

Both are found without a second parse for the usual body: the text with its strings cut out tells how many keys it
holds (every ``:`` outside a string ends a key) and whether it has an integer of 16 or more digits. Only a body
that fails one of these checks is read again, by the standard library's parser, to name the key or the path.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request

from app.errors import BadRequest, Invalid, PayloadTooLarge, UnsupportedMediaType

MAX_JSON_DEPTH = 64
MAX_SAFE_INTEGER = 2**53 - 1
_ORJSON_WRITE_DEPTH = 254  # orjson writes at most this many levels of nesting (it reads up to 1024)

_SPACE_BEFORE_COLON = re.compile(rb'"[ \t\r\n]+:')
# orjson reads an integer beyond 64 bits (19 digits or more) as a float: such a run of digits needs a closer look.
_DIGITS_RUN = b"0" * 19
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)


def require_json(content_type: str | None) -> None:
    """415 unless the body is declared ``application/json`` (UTF-8, the only encoding JSON has: RFC 8259)."""
    media_type, _, parameters = (content_type or "").partition(";")
    if media_type.strip().lower() != "application/json":
        raise UnsupportedMediaType("the body must be sent as Content-Type: application/json")
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaType("JSON is UTF-8: charset must be utf-8 when it is given")


def parse_json(body: bytes) -> Any:
    """The body parsed as JSON: 400 when it is not JSON, nests too deeply or repeats a key in an object; 422 for
    an integer beyond what JSON peers hold exactly."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"the body is not JSON: {error}") from error
    # A body with fewer brackets than the limit cannot nest deeper: most reports skip the depth check.
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _too_deep(value):
        raise BadRequest(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    _check_keys_and_integers(body, value)
    return value


async def read_body(chunks: AsyncIterator[bytes], declared: str | None, limit: int) -> bytes:
    """The request body: 413 as soon as it is over the limit (declared or received)."""
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body exceeds {limit} bytes")
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the body exceeds {limit} bytes")
    return bytes(body)


async def read_json(request: Request, limit: int) -> Any:
    """The request body parsed as JSON: 415 unless declared JSON, 413 over the limit, 400 when it is not JSON."""
    require_json(request.headers.get("content-type"))
    return parse_json(await read_body(request.stream(), request.headers.get("content-length"), limit))


def _too_deep(value: Any) -> bool:
    """Whether the value nests deeper than MAX_JSON_DEPTH, in one C-speed pass: wrapped in enough lists, a deeper
    value passes the depth orjson can write. The stored and rendered forms of a report nest its values a few
    levels deeper than the body, so what is accepted must stay well below orjson's limit."""
    for _ in range(_ORJSON_WRITE_DEPTH - MAX_JSON_DEPTH):
        value = [value]
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return True
    return False


def _check_keys_and_integers(body: bytes, value: Any) -> None:
    """Raises when the body repeats a key or holds an unsafe integer; costs a few C-speed passes over the text."""
    try:
        written = orjson.dumps(value, option=orjson.OPT_STRICT_INTEGER)  # refuses integers beyond 53 bits
    except TypeError:  # orjson raises a plain TypeError here, not its JSONEncodeError
        _name_the_fault(body)
        return
    if _keys_written(body) != written.count(b'":') or _may_hide_a_key(written):
        _name_the_fault(body)
    elif _DIGITS_RUN in body.translate(_DIGITS_AS_ZERO):  # an integer orjson read as a float (beyond 64 bits)
        _name_the_fault(body)


def _keys_written(body: bytes) -> int:
    """How many keys the text holds: a key ends with ``":`` (a quote inside a string is always escaped), unless
    whitespace stands before its colon or it ends in an escaped backslash; for those, -1 sends the body to the
    exact reading."""
    spaced = b'" ' in body or b'"\t' in body or b'"\n' in body or b'"\r' in body
    if _may_hide_a_key(body) or (spaced and _SPACE_BEFORE_COLON.search(body)):
        return -1
    return body.count(b'":')


def _may_hide_a_key(text: bytes) -> bool:
    return b'\\":' in text


def _name_the_fault(body: bytes) -> None:
    """Reads the body again, keeping every key and integer as sent, and raises what is wrong with it."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                raise BadRequest(f"the key {key!r} appears more than once in one object")
            seen.add(key)
        return dict(items)

    value = json.loads(body, object_pairs_hook=pairs)
    path = _unsafe_integer_path(value, "")
    if path is not None:
        message = f"integers must lie within ±(2^53 - 1) ({MAX_SAFE_INTEGER}) to be read the same by every peer"
        raise Invalid.at(path or "$", message)


def _unsafe_integer_path(value: Any, path: str) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return path if abs(value) > MAX_SAFE_INTEGER else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unsafe_integer_path(item, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _unsafe_integer_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
