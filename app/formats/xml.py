"""XML read safely, and checked against a schema, for the XML partner formats (CAP, Cursor-on-Target).

A partner's XML is untrusted. libxml2 (through lxml) reads it with:

- no entity substitution and no document type declaration at all: a document carrying a ``<!DOCTYPE`` is refused
  (400), so neither an entity bomb ("billion laughs") nor an external entity (XXE: a file or URL pulled into the
  document) can do anything; no CAP or CoT document needs a DTD;
- no network access (``no_network``) and no DTD loading, so reading never reaches out;
- libxml2's own bounds on depth (256) and on a text node (10 MB, ``huge_tree`` off), within the body bound the
  route reads (``NETCOP_MAX_REPORT_BYTES``, 1 MiB by default, 413 beyond).

Schema errors (422) are named by a path in the document, e.g. ``alert.info[0].urgency``: the element's local
name, with its index among siblings of the same name where that name may repeat.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

from lxml import etree

from app.errors import BadRequest, Invalid

_NAMESPACE = re.compile(r"\{[^}]*\}")
MAX_SCHEMA_ERRORS = 20


def parser() -> etree.XMLParser:
    """A parser that substitutes no entity, loads no DTD and reaches no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True, collect_ids=False)  # fmt: skip


def parse(raw: bytes) -> etree._Element:
    """The document's root element: 400 when the body is not well-formed XML or declares a document type."""
    try:
        root = etree.fromstring(raw, parser())
    except etree.XMLSyntaxError as error:
        raise BadRequest(f"the body is not well-formed XML: {error}") from error
    if root.getroottree().docinfo.doctype:
        raise BadRequest("a document type declaration (<!DOCTYPE ...>) is not accepted: entities are not expanded")
    return root


@functools.cache
def schema(name: str) -> etree.XMLSchema:
    """A schema shipped in ``app/formats/data`` (read once, with the same safe parser)."""
    text = resources.files("app.formats").joinpath("data", name).read_bytes()
    return etree.XMLSchema(etree.fromstring(text, parser()))


def validate(root: etree._Element, schema_name: str, repeatable: frozenset[str]) -> None:
    """422 listing where and why the document breaks the schema (at most ``MAX_SCHEMA_ERRORS`` places)."""
    checker = schema(schema_name)
    if checker.validate(root):
        return
    details = [{"path": _path_of(root, entry.path, repeatable), "message": _NAMESPACE.sub("", entry.message)}
               for entry in list(checker.error_log)[:MAX_SCHEMA_ERRORS]]  # fmt: skip
    raise Invalid(f"the document is not valid against {schema_name}", details)


def local(element: Any) -> str:
    """An element's name without its namespace."""
    return str(etree.QName(element).localname)


def path(element: etree._Element, repeatable: frozenset[str]) -> str:
    """The element's path from the root: ``alert.info[1].area[0]``."""
    parts: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = local(node)
        parent = node.getparent()
        if parent is not None and name in repeatable:
            name = f"{name}[{[s for s in parent if s.tag == node.tag].index(node)}]"
        parts.append(name)
        node = parent
    return ".".join(reversed(parts))


def _path_of(root: etree._Element, xpath: str | None, repeatable: frozenset[str]) -> str:
    found = root.getroottree().xpath(xpath) if xpath else None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return path(found[0], repeatable)
    return local(root)
