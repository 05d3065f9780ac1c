"""The error tree. Every error the API answers with is one of these, rendered by one handler as
``{"error": {"code", "message", "details"}}``.

    NetcopError            500 internal
    ├── BadRequest         400 the body is not JSON (or not the JSON shape expected at all)
    ├── Unauthorized       401 no valid token
    ├── Forbidden          403 a valid token without the role
    │   └── NotCoordinator 403 incident fields from an organisation that does not coordinate the incident
    ├── NotFound           404 unknown, or not visible to this viewer
    ├── MethodNotAllowed   405 a path that exists, with another method
    ├── RequestTimedOut    408 a request's head or body did not arrive in time (the HTTP edge)
    ├── Conflict           409 an id reused with a different body
    ├── PayloadTooLarge    413 over the size limit
    ├── UnsupportedMediaType 415 a body not declared application/json
    ├── HeadTooLarge       431 a request's line and headers over the bound (the HTTP edge)
    ├── Invalid            422 with details [{"path", "message"}]
    ├── TooManyRequests    429
    └── Unavailable        503 the database cannot be reached, or the server is at a bound (connections)
        └── TimedOut       503 a request that took longer than its time limit

Every answer of an error, from the routes, the report fast path, the stream's refused handshakes, the request
time limit and the HTTP edge alike, is rendered from one of these: ``body()`` and ``headers()``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class NetcopError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}

    def headers(self) -> dict[str, str]:
        """Headers the answer carries besides its body: when to try again, for 503 and 429."""
        return {"Retry-After": "1"} if self.status == 503 else {}

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """``headers()`` as an ASGI or HTTP/1.1 writer takes them: lower-case names, bytes."""
        return [(name.lower().encode(), value.encode()) for name, value in self.headers().items()]


class BadRequest(NetcopError):
    status = 400
    code = "bad_request"


class Unauthorized(NetcopError):
    status = 401
    code = "unauthorized"


class Forbidden(NetcopError):
    status = 403
    code = "forbidden"


class NotCoordinator(Forbidden):
    """Incident fields from an organisation that does not coordinate the incident (spec section 1)."""

    code = "not_coordinator"


class RequestTimedOut(NetcopError):
    """A client did not send its request in time (the HTTP edge, ``app.edge``)."""

    status = 408
    code = "request_timeout"


class UnsupportedMediaType(NetcopError):
    """A body that is not declared ``application/json``: what it means is not ours to guess."""

    status = 415
    code = "unsupported_media_type"


class HeadTooLarge(NetcopError):
    """A request's line and headers exceed the bound (the HTTP edge, ``app.edge``)."""

    status = 431
    code = "head_too_large"


class NotFound(NetcopError):
    status = 404
    code = "not_found"


class MethodNotAllowed(NetcopError):
    status = 405
    code = "method_not_allowed"


class Conflict(NetcopError):
    status = 409
    code = "conflict"


class PayloadTooLarge(NetcopError):
    status = 413
    code = "payload_too_large"


class Invalid(NetcopError):
    status = 422
    code = "invalid"

    @classmethod
    def at(cls, path: str, message: str) -> Invalid:
        return cls(message, [{"path": path, "message": message}])


class TooManyRequests(NetcopError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unavailable(NetcopError):
    status = 503
    code = "unavailable"


class TimedOut(Unavailable):
    """A request that took longer than its time limit (``api.timeouts``)."""

    code = "timeout"


_BY_STATUS: dict[int, type[NetcopError]] = {
    cls.status: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, RequestTimedOut, Conflict,
                PayloadTooLarge, UnsupportedMediaType, HeadTooLarge, Invalid, TooManyRequests, Unavailable)
}  # fmt: skip


def for_status(status: int, message: str) -> NetcopError:
    """The error of this tree that answers with the status (for errors raised by the framework underneath)."""
    return _BY_STATUS.get(status, NetcopError)(message)
