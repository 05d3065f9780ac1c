"""The merge rule of spec section 4, as pure functions over *facts*.

The facts of one object (or incident) keep, for each property, for each visibility class, for each
organisation, that organisation's latest assertion in that class::

    facts[property][class][organisation] = [observed_at_us, report_id, value]

A class is ``"*"`` for reports every partner may see, or the comma-joined sorted audience (sender included) of
a restricted report. Folding an assertion in keeps the larger ``(observed_at, report_id)``, so facts form a
join-semilattice: the order of arrival and duplicates cannot change them.

A viewer's merged state is a function of the facts of the classes it may see: per organisation the latest
assertion (rule 1 and 2 within an organisation), the winner across organisations by
``(observed_at, organisation, report_id)``, and conflicts between organisations' latest assertions that
disagree within the conflict window. Because each class keeps its own maximum, any union of classes gives the
same answer as merging the visible reports themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from app.domain import canonical
from app.domain.timefmt import format_micros

PUBLIC_CLASS = "*"
Facts = dict[str, dict[str, dict[str, list[Any]]]]
Visible = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Assertion:
    observed_at: int
    organisation: str
    report: str
    value: Any

    @property
    def rank(self) -> tuple[int, str, str]:
        return (self.observed_at, self.organisation, self.report)

    def provenance(self) -> dict[str, str]:
        return {
            "organisation": self.organisation,
            "report": self.report,
            "observed_at": format_micros(self.observed_at),
        }


def class_of(sender: str, audience: Iterable[str] | None) -> str:
    """The visibility class of a report: "*" or its sorted audience with the sender."""
    if audience is None:
        return PUBLIC_CLASS
    return ",".join(sorted({sender, *audience}))


def class_members(visibility_class: str) -> frozenset[str]:
    return frozenset() if visibility_class == PUBLIC_CLASS else frozenset(visibility_class.split(","))


def visible_to(viewer: str | None) -> Visible:
    """Which classes a viewer may see; ``None`` sees only what every partner sees."""
    if viewer is None:
        return lambda cls: cls == PUBLIC_CLASS
    return lambda cls: cls == PUBLIC_CLASS or viewer in cls.split(",")


def fold(
    facts: Facts, prop: str, visibility_class: str, organisation: str, observed_at: int, report: str, value: Any
) -> bool:
    """Folds one assertion into the facts; returns whether they changed."""
    per_org = facts.setdefault(prop, {}).setdefault(visibility_class, {})
    current = per_org.get(organisation)
    if current is not None and (current[0], current[1]) >= (observed_at, report):
        return False
    per_org[organisation] = [observed_at, report, value]
    return True


def latest_per_organisation(by_class: dict[str, dict[str, list[Any]]], visible: Visible) -> list[Assertion]:
    """Each organisation's latest visible assertion of one property."""
    latest: dict[str, Assertion] = {}
    for visibility_class, per_org in by_class.items():
        if not visible(visibility_class):
            continue
        for organisation, (observed_at, report, value) in per_org.items():
            candidate = Assertion(observed_at, organisation, report, value)
            held = latest.get(organisation)
            if held is None or candidate.rank > held.rank:
                latest[organisation] = candidate
    return list(latest.values())


def same_value(a: Any, b: Any) -> bool:
    """JSON equality as in ``canonical``: 1 and true differ, key order and 1 versus 1.0 do not matter."""
    sort = orjson.OPT_SORT_KEYS
    return orjson.dumps(canonical.normalise(a), option=sort) == orjson.dumps(canonical.normalise(b), option=sort)


def conflicting(assertions: list[Assertion], window_us: int) -> list[Assertion]:
    """The assertions that disagree with another organisation's within the window, newest first."""
    involved: dict[str, Assertion] = {}
    for i, a in enumerate(assertions):
        for b in assertions[i + 1 :]:
            if abs(a.observed_at - b.observed_at) <= window_us and not same_value(a.value, b.value):
                involved[a.organisation] = a
                involved[b.organisation] = b
    return sorted(involved.values(), key=lambda x: (-x.observed_at, x.organisation, x.report))


@dataclass(frozen=True, slots=True)
class Merged:
    """One property's merged state for one viewer."""

    winner: Assertion
    conflict: list[Assertion]


def merge_property(by_class: dict[str, dict[str, list[Any]]], visible: Visible, window_us: int) -> Merged | None:
    """Merges one property for a viewer; ``None`` when the viewer sees no assertion of it."""
    if len(by_class) == 1:  # the common case: one class, one organisation; nothing to compare
        ((visibility_class, per_org),) = by_class.items()
        if len(per_org) == 1 and visible(visibility_class):
            ((organisation, (observed_at, report, value)),) = per_org.items()
            return Merged(Assertion(observed_at, organisation, report, value), [])
    latest = latest_per_organisation(by_class, visible)
    if not latest:
        return None
    winner = max(latest, key=lambda a: a.rank)
    conflict = conflicting(latest, window_us) if len(latest) > 1 else []
    return Merged(winner, conflict)


def merge_facts(facts: Facts, visible: Visible, window_us: int) -> dict[str, Merged]:
    """Merges every property the viewer sees, by property name."""
    merged: dict[str, Merged] = {}
    for prop in sorted(facts):
        result = merge_property(facts[prop], visible, window_us)
        if result is not None:
            merged[prop] = result
    return merged
