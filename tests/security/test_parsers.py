"""Every parser netcop has, fed arbitrary input: each either answers or refuses with its documented error, and
never raises anything else; what it accepts it reads back faithfully.

Arbitrary JSON here means what ``orjson.loads`` can return (the request path parses bodies with it): integers
within 64 bits (a longer integer literal becomes a float), finite floats, strings without lone surrogates.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import urlencode

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request
from starlette.websockets import WebSocket, WebSocketState

from app.api import json_input
from app.api import reports as reports_api
from app.client import events
from app.domain import canonical, geojson, timefmt
from app.errors import BadRequest, Invalid, NetcopError, PayloadTooLarge, Unauthorized
from app.realtime import stream
from app.realtime.hub import StreamFilter
from app.schemas.reports import validate_report
from app.services import auth
from tests.domain import polygon_strategies

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
TOLERANCE = timedelta(minutes=5)
no_deadline = settings(deadline=None)  # timings vary on a loaded machine: the examples are what is tested

# --- strategies -------------------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)
numbers = st.integers(min_value=-400, max_value=400) | st.floats(allow_nan=True, allow_infinity=True)
positions = st.lists(numbers | st.text(max_size=3) | st.none() | st.booleans(), max_size=4)
nested_positions = st.recursive(positions, lambda inner: st.lists(inner, max_size=5), max_leaves=40)
geometry_types = st.sampled_from([*geojson.GEOMETRY_TYPES, "point", "Feature", "", "Polygon "])


@st.composite
def geometry_shaped(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """Objects that look like GeoJSON geometries, mostly broken in some way."""
    kind = draw(geometry_types)
    value: dict[str, Any] = {"type": kind}
    if kind == "GeometryCollection" and depth < 6:
        value["geometries"] = draw(st.lists(geometry_shaped(depth + 1) | json_values, max_size=3))
    elif draw(st.booleans()):
        value["coordinates"] = draw(nested_positions | json_values)
    return value


@st.composite
def valid_geometries(draw: st.DrawFn) -> dict[str, Any]:
    """Valid geometries of every type (positions in range, polygons valid with rings turning either way)."""
    lon = st.floats(min_value=-180, max_value=180, allow_nan=False)
    lat = st.floats(min_value=-90, max_value=90, allow_nan=False)
    position = st.tuples(lon, lat).map(list)
    line = st.lists(position, min_size=2, max_size=5)
    kind = draw(st.sampled_from(geojson.GEOMETRY_TYPES[:-1]))
    coordinates = {
        "Point": position,
        "MultiPoint": st.lists(position, min_size=1, max_size=5),
        "LineString": line,
        "MultiLineString": st.lists(line, min_size=1, max_size=3),
        "Polygon": polygon_strategies.polygons,
        "MultiPolygon": polygon_strategies.multipolygons(),
    }[kind]
    return {"type": kind, "coordinates": draw(coordinates)}


report_keys = st.sampled_from(
    ["id", "incident", "incident_info", "observed_at", "summary", "objects", "visibility", "audience", "extra"]
)
object_keys = st.sampled_from(["id", "kind", "geometry", "properties", "removed", "extra"])
object_entries = st.dictionaries(
    object_keys, json_values | geometry_shaped() | st.dictionaries(st.text(max_size=8), json_values), max_size=6
)
report_shaped = st.fixed_dictionaries(
    {
        "id": st.text(max_size=5) | json_values,
        "incident": st.sampled_from(["flood-1", "x", "Flood"]) | json_values,
        "observed_at": st.sampled_from(["2026-11-27T14:03:00+01:00", "2999-01-01T00:00:00Z", "yesterday"]),
    },
    optional={
        "objects": st.lists(object_entries | json_values, max_size=4),
        "visibility": st.sampled_from(["partners", "restricted", "public", "secret"]) | json_values,
        "audience": st.lists(st.text(max_size=8), max_size=3) | json_values,
        "incident_info": st.dictionaries(st.text(max_size=8), json_values, max_size=3) | json_values,
        "summary": json_values,
    },
).flatmap(lambda body: st.dictionaries(report_keys, json_values, max_size=2).map(lambda more: {**more, **body}))


T = TypeVar("T")


def outcome(call: Callable[[], T], *refusals: type[Exception]) -> T | Exception:
    """What the call returns, or the refusal it raised (anything else propagates and fails the test)."""
    try:
        return call()
    except refusals as refusal:
        return refusal


def as_parsed(value: Any) -> Any:
    """The value as the request path would see it: sent as JSON text and parsed by orjson."""
    return orjson.loads(orjson.dumps(value))


# --- timestamps (RFC 3339) --------------------------------------------------------------------------------

rfc3339_like = st.from_regex(timefmt._RFC3339, fullmatch=True)


@no_deadline
@given(st.text() | rfc3339_like)
def test_parse_rfc3339_accepts_or_raises_value_error(text: str) -> None:
    """Any text parses to an aware instant that formats and parses back, or raises ValueError (nothing else)."""
    try:
        moment = timefmt.parse_rfc3339(text)
    except ValueError:
        return
    assert moment.tzinfo is not None
    micros = timefmt.to_micros(moment)
    assert timefmt.to_micros(timefmt.parse_rfc3339(timefmt.format_micros(micros))) == micros


offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@no_deadline
@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),  # noqa: DTZ001 - naive bounds
    offsets,
    st.sampled_from(["T", "t", " "]),
    st.integers(min_value=0, max_value=9),
)
def test_parse_rfc3339_round_trips_valid_timestamps(
    local: datetime, offset: timezone, separator: str, fraction_digits: int
) -> None:
    """A valid timestamp, in any of RFC 3339's spellings, parses to its instant (fractions past 6 digits cut)."""
    moment = local.replace(tzinfo=offset)
    digits = f"{moment.microsecond:06d}".ljust(9, "7")[:fraction_digits]
    zone = f"{moment:%z}"[:3] + ":" + f"{moment:%z}"[3:]
    if zone == "+00:00" and fraction_digits % 3:
        zone = "Zz"[fraction_digits % 3 - 1]
    text = f"{moment.year:04d}-{moment:%m-%d}{separator}{moment:%H:%M:%S}{'.' + digits if digits else ''}{zone}"
    expected = moment.replace(microsecond=int(digits[:6].ljust(6, "0")) if digits else 0)
    assert timefmt.parse_rfc3339(text) == expected


@no_deadline
@given(st.integers(min_value=timefmt.to_micros(datetime(1, 1, 1, tzinfo=UTC)), max_value=253402300799999999))
def test_format_micros_round_trips_every_instant(micros: int) -> None:
    """Every representable instant formats as RFC 3339 (four-digit year) and parses back to itself."""
    text = timefmt.format_micros(micros)
    assert timefmt.parse_rfc3339(text) == timefmt.from_micros(micros)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_instants_outside_the_representable_years_are_refused(text: str) -> None:
    """An offset that pushes the instant outside years 1..9999 in UTC is a ValueError, not an OverflowError."""
    with pytest.raises(ValueError, match="outside"):
        timefmt.parse_rfc3339(text)


# --- bbox parameters --------------------------------------------------------------------------------------


@no_deadline
@given(st.text() | st.lists(st.text(max_size=8) | st.floats().map(str), max_size=6).map(",".join))
def test_parse_bbox_accepts_or_raises_value_error(text: str) -> None:
    """Any text parses to an ordered, in-range box of finite numbers, or raises ValueError (nothing else)."""
    try:
        min_lon, min_lat, max_lon, max_lat = geojson.parse_bbox(text)
    except ValueError:
        return
    assert -180 <= min_lon <= max_lon <= 180
    assert -90 <= min_lat <= max_lat <= 90


@no_deadline
@given(
    st.lists(st.floats(min_value=-180, max_value=180), min_size=2, max_size=2).map(sorted),
    st.lists(st.floats(min_value=-90, max_value=90), min_size=2, max_size=2).map(sorted),
)
def test_parse_bbox_round_trips_valid_boxes(lons: list[float], lats: list[float]) -> None:
    """A valid box written with repr() parses back to exactly its numbers."""
    text = ",".join(repr(n) for n in (lons[0], lats[0], lons[1], lats[1]))
    assert geojson.parse_bbox(text) == (lons[0], lats[0], lons[1], lats[1])


# --- GeoJSON geometries -----------------------------------------------------------------------------------


@no_deadline
@given(json_values | geometry_shaped())
def test_geometry_errors_never_raise(value: Any) -> None:
    """Any JSON value gets a list of at most MAX_ERRORS (path, message) pairs under the given path."""
    found = geojson.geometry_errors(as_parsed(value), "objects[0].geometry")
    assert len(found) <= geojson.MAX_ERRORS
    for path, message in found:
        assert path.startswith("objects[0].geometry")
        assert isinstance(message, str)
        assert message


@no_deadline
@given(
    valid_geometries(), st.tuples(st.floats(-180, 180), st.floats(-180, 180), st.floats(-90, 90), st.floats(-90, 90))
)
def test_valid_geometries_have_bounds_and_intersect_without_raising(
    geometry: dict[str, Any], box: tuple[float, float, float, float]
) -> None:
    """A geometry without errors has a bounding box in range, and any box intersection answers a bool."""
    assert geojson.geometry_errors(geometry, "g") == []
    min_lon, min_lat, max_lon, max_lat = geojson.bounds(geometry)
    assert -180 <= min_lon <= max_lon <= 180
    assert -90 <= min_lat <= max_lat <= 90
    bbox = (min(box[0], box[1]), min(box[2], box[3]), max(box[0], box[1]), max(box[2], box[3]))
    assert isinstance(geojson.intersects(geometry, bbox), bool)


# --- reports ----------------------------------------------------------------------------------------------


def check_validation(body: Any, prefix: str = "") -> None:
    result = validate_report(body, NOW, TOLERANCE, prefix=prefix)
    if result is None:
        assert isinstance(body, dict)
        return
    assert isinstance(result, Invalid)
    assert 1 <= len(result.details) <= 50
    for detail in result.details:
        assert set(detail) == {"path", "message"}
        assert isinstance(detail["path"], str)
        assert detail["path"].startswith(prefix)
        assert isinstance(detail["message"], str)
        assert detail["message"]


@no_deadline
@given(json_values | report_shaped)
def test_validate_report_never_raises(body: Any) -> None:
    """Any JSON value is either a valid report or a 422 whose details each name a path and a message."""
    check_validation(as_parsed(body))


@no_deadline
@given(report_shaped, st.integers(min_value=0, max_value=999))
def test_validate_report_puts_paths_under_the_prefix(body: Any, index: int) -> None:
    """In a batch every detail path starts with the report's place, ``reports[i]``."""
    check_validation(as_parsed(body), prefix=f"reports[{index}]")


# --- canonical JSON ---------------------------------------------------------------------------------------


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON value with every object's keys in another order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


def floated(value: Any) -> Any:
    """The same JSON value with small integers written as floats (1 -> 1.0)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) < 2**53:
        return float(value)
    if isinstance(value, dict):
        return {k: floated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [floated(v) for v in value]
    return value


@no_deadline
@given(json_values, st.randoms(use_true_random=False))
def test_digest_ignores_key_order_white_space_and_integral_floats(value: Any, rng: random.Random) -> None:
    """Equal JSON values have one digest whatever their key order, white space, and 1 versus 1.0."""
    parsed = as_parsed(value)
    digest = canonical.digest(parsed)
    assert canonical.digest(shuffled(parsed, rng)) == digest
    assert canonical.digest(orjson.loads(json.dumps(parsed, indent=2, ensure_ascii=True))) == digest
    assert canonical.digest(floated(parsed)) == digest


@no_deadline
@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(min_value=-(2**63), max_value=2**64 - 1))
def test_digest_takes_every_number_orjson_parses(number: float) -> None:
    """Integral floats beyond 64 bits (``18446744073709551616`` parses as one) digest like any other number."""
    assert len(canonical.digest({"n": as_parsed(number)})) == 64


def test_true_and_one_differ() -> None:
    """``1`` and ``true`` are different values."""
    assert canonical.digest([1]) != canonical.digest([True])


# --- the stream's query -----------------------------------------------------------------------------------


def websocket_with(query_string: bytes) -> WebSocket:
    scope = {"type": "websocket", "path": "/api/v1/stream", "query_string": query_string, "headers": []}

    async def never(*_: Any) -> Any:
        raise AssertionError("the query parser must not do I/O")

    return WebSocket(scope, never, never)


query_names = st.sampled_from(["after_seq", "bbox", "kind", "incident", "other"])
query_values = st.text(max_size=30) | st.integers().map(str) | st.just("4,51,5,52") | st.just("1" * 5000)


@no_deadline
@given(
    st.binary(max_size=200) | st.lists(st.tuples(query_names, query_values), max_size=6).map(urlencode).map(str.encode)
)
def test_stream_query_accepts_or_refuses_with_422(query_string: bytes) -> None:
    """Any query string yields a resume point and a filter, or a 422 refusal before the upgrade."""
    result = outcome(lambda: stream._query(websocket_with(query_string)), Invalid)
    if isinstance(result, Invalid):
        assert result.status == 422
        assert result.details[0]["path"] in ("after_seq", "bbox", "exercise")
        return
    assert not isinstance(result, Exception)
    after_seq, flt = result
    assert after_seq is None or after_seq >= 0
    assert isinstance(flt, StreamFilter)
    assert all(kind for kind in flt.kinds)


def test_stream_query_reads_every_parameter() -> None:
    """after_seq, repeated incidents, comma-separated kinds and a bbox are all read."""
    query = b"after_seq=7&incident=a&incident=b&kind=unit,shelter&kind=roadblock&bbox=4,51,5,52"
    after_seq, flt = stream._query(websocket_with(query))
    assert after_seq == 7
    assert flt == StreamFilter(frozenset({"a", "b"}), frozenset({"unit", "shelter", "roadblock"}), (4, 51, 5, 52))


# --- request bodies (single report and batch) -------------------------------------------------------------


def read_body(chunks: list[bytes], limit: int, content_length: str | None = None) -> Any:
    """``read_json`` on a request whose body arrives in the given chunks."""
    pending = list(chunks)
    headers = [(b"content-type", b"application/json")]
    if content_length is not None:
        headers.append((b"content-length", content_length.encode("latin-1")))

    async def receive() -> dict[str, Any]:
        body = pending.pop(0) if pending else b""
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def run() -> Any:
        request = Request({"type": "http", "method": "POST", "headers": headers, "path": "/"}, receive)
        return await json_input.read_json(request, limit)

    return asyncio.run(run())


body_bytes = (
    st.binary(max_size=300)
    | json_values.map(orjson.dumps)
    | st.integers(min_value=0, max_value=3000).map(lambda depth: b"[" * depth + b"]" * depth)
    | st.text(alphabet="0123456789", min_size=300, max_size=400).map(str.encode)
)


@settings(max_examples=50, deadline=None)
@given(body_bytes, st.integers(min_value=1, max_value=200), st.sampled_from([None, "1", "999999", "", "-1", "1 0"]))
def test_read_json_parses_or_refuses_with_400_or_413(body: bytes, chunk: int, content_length: str | None) -> None:
    """Any body, in any chunks, parses to JSON or is refused: 400 when it is not JSON, 413 past the limit."""
    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    value = outcome(
        lambda: read_body(chunks, limit=256, content_length=content_length), BadRequest, PayloadTooLarge, Invalid
    )
    if isinstance(value, Invalid):  # an integer beyond ±(2^53 - 1), which orjson would have read
        assert any(abs(n) > json_input.MAX_SAFE_INTEGER for n in _integers(json.loads(body)))
        return
    if isinstance(value, BadRequest | PayloadTooLarge):
        assert isinstance(value, PayloadTooLarge) == (len(body) > 256 or content_length == "999999")
        return
    assert len(body) <= 256
    assert value == orjson.loads(body)


def _integers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [n for item in value.values() for n in _integers(item)]
    if isinstance(value, list):
        return [n for item in value for n in _integers(item)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


def test_read_json_ignores_a_non_ascii_content_length() -> None:
    """A Content-Length of non-ASCII digits (``²``, which ``str.isdigit`` accepts) is ignored, not a crash."""
    assert read_body([b"{}"], limit=256, content_length="\u00b2") == {}


@no_deadline
@given(json_values)
def test_batch_body_yields_its_reports_or_a_422(batch: Any) -> None:
    """Any JSON batch body is exactly ``{"reports": [...]}`` within the limit, or a 422 naming ``reports``."""
    found = outcome(lambda: reports_api._batch_reports(as_parsed(batch), 3), Invalid)
    if isinstance(found, Invalid):
        assert found.details[0]["path"] == "reports"
        return
    assert isinstance(found, list)
    assert batch == {"reports": found}
    assert len(found) <= 3


@no_deadline
@given(st.lists(json_values | report_shaped, max_size=4))
def test_each_batch_report_is_checked_without_raising(bodies: list[Any]) -> None:
    """Every report of a batch is either valid or refused on its own, with paths under ``reports[i]``."""
    for index, body in enumerate(as_parsed(bodies)):
        error = reports_api._check_one(body, index, 1024, NOW, TOLERANCE)
        if error is not None:
            assert isinstance(error, NetcopError)
            assert all(d["path"].startswith(f"reports[{index}]") for d in error.details)


# --- the Authorization header -----------------------------------------------------------------------------


@no_deadline
@given(
    st.none()
    | st.text()
    | st.builds(lambda s, t: f"{s} {t}", st.sampled_from(["Bearer", "bearer", "BEARER", "Basic"]), st.text())
)
def test_bearer_parses_a_token_or_raises_401(header: str | None) -> None:
    """Any header yields a non-empty token without surrounding white space, or raises Unauthorized."""
    try:
        secret = auth._bearer(header)
    except Unauthorized:
        return
    assert header is not None
    assert header.split(" ", 1)[0].lower() == "bearer"
    assert secret
    assert secret == secret.strip()


@no_deadline
@given(st.sampled_from(["Bearer", "bearer", "BeArEr"]), st.text(min_size=1).filter(lambda s: s.strip() == s))
def test_bearer_returns_the_token(scheme: str, secret: str) -> None:
    """``Bearer <token>`` yields the token, whatever the scheme's case."""
    assert auth._bearer(f"{scheme} {secret}") == secret


# --- the stream client's messages -------------------------------------------------------------------------

message_shaped = st.fixed_dictionaries(
    {"type": st.sampled_from(["snapshot", "change", "heartbeat", "future"]) | json_values},
    optional={
        "seq": st.integers(min_value=-2, max_value=2**63) | json_values,
        "objects": st.lists(st.dictionaries(st.text(max_size=5), json_values, max_size=2), max_size=2) | json_values,
        "incident": json_values,
        "report": st.fixed_dictionaries({"id": json_values, "organisation": json_values}) | json_values,
        "reason": json_values,
    },
)


@no_deadline
@given(st.binary(max_size=100) | json_values.map(orjson.dumps) | message_shaped.map(orjson.dumps))
def test_stream_client_parses_or_raises_protocol_error(message: bytes) -> None:
    """Any server message is an event, None (an unknown type), or a StreamProtocolError."""
    try:
        event = events.parse(message)
    except events.StreamProtocolError:
        return
    assert event is None or isinstance(event, events.Snapshot | events.Change | events.Heartbeat)


# --- the browser's first stream message -------------------------------------------------------------------


class _Authenticator:
    async def authenticate(self, authorization: str) -> auth.Principal:
        assert authorization.startswith("Bearer ")
        return auth.Principal("t", "org", frozenset({"read"}))


def first_message(message: dict[str, Any]) -> Callable[[], Coroutine[Any, Any, auth.Principal]]:
    scope = {"type": "websocket", "path": "/api/v1/stream", "query_string": b"", "headers": []}

    async def receive() -> dict[str, Any]:
        return message

    async def send(_: Any) -> None:
        raise AssertionError("nothing is sent while reading the auth message")

    state: Any = type("State", (), {"authenticator": _Authenticator()})()
    websocket = WebSocket(scope, receive, send)
    websocket.client_state = websocket.application_state = WebSocketState.CONNECTED  # as after accept()
    return lambda: stream._authenticate_first_message(websocket, state)


frames = st.one_of(
    st.text(max_size=50).map(lambda t: {"type": "websocket.receive", "text": t}),
    json_values.map(lambda v: {"type": "websocket.receive", "text": orjson.dumps(v).decode()}),
    st.binary(max_size=50).map(lambda b: {"type": "websocket.receive", "bytes": b}),
    st.just({"type": "websocket.receive", "text": '{"type": "auth", "token": "ncp_x"}'}),
)


@settings(max_examples=50, deadline=None)
@given(frames)
def test_first_stream_message_authenticates_or_refuses_with_4001(message: dict[str, Any]) -> None:
    """Any first message (text or binary, JSON or not) authenticates or raises Unauthorized (closed with 4001)."""
    try:
        principal = asyncio.run(first_message(message)())
    except Unauthorized:
        return
    assert principal.organisation == "org"
