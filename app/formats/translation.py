"""What every adapter hands back: the report it made of a document, and where each of its paths came from."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.errors import Invalid

MAX_PROPERTY_BYTES = 8 * 1024  # the contract's bound on one property value, as compact JSON
_OBJECT_PATH = re.compile(r"^objects\[(\d+)\](.*)$")


@dataclass(frozen=True, slots=True)
class Translation:
    """A report body (spec section 3) and, for each of its objects in order, the path in the document it came
    from; ``fields`` maps the report's own fields (``observed_at``, ``audience``...) to where the document set them."""

    body: dict[str, Any]
    origins: Sequence[str]
    fields: dict[str, str]
    members: dict[str, str] = field(default_factory=dict)  # an object entry's member -> its name in the document

    def locate(self, path: str) -> str:
        """A path in the report (``objects[1].geometry``) as a path in the document it was translated from."""
        if path in self.fields:
            return self.fields[path]
        found = _OBJECT_PATH.match(path)
        if found is not None and int(found.group(1)) < len(self.origins):
            rest = found.group(2)
            member = re.split(r"(?=[.\[])", rest[1:], maxsplit=1)[0] if rest.startswith(".") else ""
            if member in self.members:
                rest = "." + self.members[member] + rest[1 + len(member) :]
            return self.origins[int(found.group(1))] + rest
        head = re.split(r"[.\[]", path, maxsplit=1)[0]
        return self.fields[head] + path[len(head) :] if head in self.fields else path


def refuse(errors: list[tuple[str, str]], message: str = "the document is invalid") -> Invalid:
    """A 422 listing the (path, message) pairs found (at most 50)."""
    return Invalid(message, [{"path": path, "message": text} for path, text in errors[:50]])


def bounded_text(text: str, limit: int = MAX_PROPERTY_BYTES) -> str:
    """The text cut (with an ellipsis) to what one property value may hold as JSON: free text in a partner's
    document (a CAP description, a CoT remark) may be longer than the contract allows a property."""
    if len(text) * 6 + 2 <= limit or len(orjson.dumps(text)) <= limit:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if len(orjson.dumps(text[:middle] + "…")) <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "…"


def slug(text: str, prefix: str, key: str) -> str:
    """A slug (``^[a-z0-9][a-z0-9-]{1,62}$``) made of a partner's identifier: ``prefix-``, its letters and digits
    as far as they fit, and a digest of ``key`` (the identifier with whatever makes it unique, e.g. its sender),
    so that two identifiers that read alike never name one incident."""
    plain = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[: 63 - len(prefix) - 10].strip("-")
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"{prefix}-{plain}-{digest}" if plain else f"{prefix}-{digest}"


def content_id(prefix: str, value: Any) -> str:
    """An id derived from a document's content: the same document gives the same id (a retry)."""
    return f"{prefix}-{hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]}"


Locate = Callable[[str], str]
