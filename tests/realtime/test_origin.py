"""The stream's own-origin rule (spec section 7): a page the service served itself opens the stream without any
``NETCOP_ALLOWED_ORIGINS``; any other origin still needs that setting."""

from __future__ import annotations

import pytest

from app.realtime.stream import is_own_origin


@pytest.mark.parametrize(
    ("origin", "scheme", "host"),
    [
        ("http://127.0.0.1:8000", "http", "127.0.0.1:8000"),
        ("http://netcop.example", "http", "netcop.example"),
        ("http://netcop.example", "http", "netcop.example:80"),
        ("https://netcop.example:443", "https", "netcop.example"),
        ("HTTP://NetCop.Example:8000", "http", "netcop.example:8000"),
        ("http://[::1]:8000", "http", "[::1]:8000"),
        ("http://127.0.0.1:8000/", "http", "127.0.0.1:8000"),
    ],
)
def test_an_origin_equal_to_the_host_the_request_came_to_is_own(origin: str, scheme: str, host: str) -> None:
    """The same scheme, host and port (a default port the same as none, case aside) is the service's origin."""
    assert is_own_origin(origin, scheme, host)


@pytest.mark.parametrize(
    ("origin", "scheme", "host"),
    [
        ("http://127.0.0.1:8001", "http", "127.0.0.1:8000"),
        ("https://127.0.0.1:8000", "http", "127.0.0.1:8000"),
        ("http://netcop.example", "https", "netcop.example"),
        ("http://netcop.example.evil.example", "http", "netcop.example"),
        ("http://evil.example", "http", "netcop.example"),
        ("http://netcop.example:443", "https", "netcop.example"),
        ("null", "http", "netcop.example"),
        ("http://user@netcop.example", "http", "netcop.example"),
        ("http://netcop.example/path", "http", "netcop.example"),
        ("http://netcop.example:99999", "http", "netcop.example"),
        ("http://netcop.example", "http", ""),
    ],
)
def test_any_other_origin_is_not_own(origin: str, scheme: str, host: str) -> None:
    """Another port, scheme or host, a malformed origin, or a request without a Host is not the service's own."""
    assert not is_own_origin(origin, scheme, host)
