"""A Python client for netcop's partner interface; for now the live stream (see ``app.client.stream``)."""

from app.client.events import (
    Change,
    Heartbeat,
    ReportRef,
    Snapshot,
    StreamError,
    StreamEvent,
    StreamProtocolError,
)
from app.client.stream import StreamAuthError, StreamClient, StreamRefused, stream_url

__all__ = [
    "Change",
    "Heartbeat",
    "ReportRef",
    "Snapshot",
    "StreamAuthError",
    "StreamClient",
    "StreamError",
    "StreamEvent",
    "StreamProtocolError",
    "StreamRefused",
    "stream_url",
]
