"""Field types shared by the wire contract."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError("must consist of printable characters")
    if not unicodedata.is_normalized("NFC", value):
        # "café" composed and decomposed would be two objects that every person reads as one.
        raise ValueError("must be in Unicode normalization form NFC")
    return value


def is_printable_id(value: object) -> bool:
    """Whether the value has a ``PrintableId``'s form (anything else names nothing: no look-up needed)."""
    return (
        isinstance(value, str)
        and 1 <= len(value) <= 200
        and value.isprintable()
        and unicodedata.is_normalized("NFC", value)
    )


PrintableId = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_printable)]
