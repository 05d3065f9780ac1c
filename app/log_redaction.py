"""Query strings never reach the log: the server logs each WebSocket handshake with its path, and a client may
have put a secret in the query (``?token=...`` is refused, but only after it was logged)."""

from __future__ import annotations

import logging

REDACTED_LOGGERS = ("uvicorn.error", "uvicorn.access")


class QueryStringRedactor(logging.Filter):
    """Cuts the query string off every path-like argument of a log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(arg) for arg in record.args)
        return True


def _without_query(value: object) -> object:
    if isinstance(value, str) and "?" in value and value.startswith("/"):
        return value.split("?", 1)[0] + "?[query left out]"
    return value


def install() -> None:
    """Adds the redactor to the server's loggers (once)."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QueryStringRedactor) for f in logger.filters):
            logger.addFilter(QueryStringRedactor())
