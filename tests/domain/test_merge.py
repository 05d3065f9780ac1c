"""The merge rule of spec section 4 and the visibility classes of section 5, on facts built with ``merge.fold``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import merge
from app.domain.timefmt import to_micros

T0 = to_micros(datetime(2026, 11, 27, 13, 3, tzinfo=UTC))
MINUTE = 60_000_000
WINDOW = 15 * MINUTE
PUBLIC = merge.PUBLIC_CLASS


def everything(visibility_class: str) -> bool:
    """Sees every class, as a test vantage point above all viewers."""
    return True


EVERYONE: merge.Visible = everything


def facts_of(*assertions: tuple[str, str, str, int, Any], prop: str = "injured") -> merge.Facts:
    """Facts of one property from (class, organisation, report, observed_at, value) assertions."""
    facts: merge.Facts = {}
    for visibility_class, organisation, report, observed_at, value in assertions:
        merge.fold(facts, prop, visibility_class, organisation, observed_at, report, value)
    return facts


def merged(*assertions: tuple[str, str, str, int, Any], visible: merge.Visible = EVERYONE) -> merge.Merged:
    result = merge.merge_property(facts_of(*assertions)["injured"], visible, WINDOW)
    assert result is not None
    return result


def winner(*assertions: tuple[str, str, str, int, Any]) -> tuple[str, str, Any]:
    won = merged(*assertions).winner
    return (won.organisation, won.report, won.value)


def conflict(*assertions: tuple[str, str, str, int, Any]) -> list[tuple[str, Any]]:
    return [(a.organisation, a.value) for a in merged(*assertions).conflict]


# --- fold -------------------------------------------------------------------------------------------------


def test_fold_stores_a_first_assertion() -> None:
    """The first assertion of a property is stored under its class and organisation."""
    facts: merge.Facts = {}
    assert merge.fold(facts, "injured", PUBLIC, "police", T0, "p-1", 12)
    assert facts == {"injured": {PUBLIC: {"police": [T0, "p-1", 12]}}}


def test_fold_replaces_with_a_later_observation() -> None:
    """A later observed_at of the same organisation replaces its earlier assertion."""
    facts = facts_of((PUBLIC, "police", "p-1", T0, 12))
    assert merge.fold(facts, "injured", PUBLIC, "police", T0 + 1, "p-0", 14)
    assert facts["injured"][PUBLIC]["police"] == [T0 + 1, "p-0", 14]


def test_fold_ignores_an_earlier_observation() -> None:
    """An earlier observed_at does not replace a later one, whatever its report id."""
    facts = facts_of((PUBLIC, "police", "p-1", T0, 12))
    assert not merge.fold(facts, "injured", PUBLIC, "police", T0 - 1, "p-9", 14)
    assert facts["injured"][PUBLIC]["police"] == [T0, "p-1", 12]


def test_fold_breaks_a_tie_by_the_larger_report_id() -> None:
    """On equal observed_at the larger report id is kept, whichever came first."""
    facts = facts_of((PUBLIC, "police", "p-2", T0, 12))
    assert not merge.fold(facts, "injured", PUBLIC, "police", T0, "p-1", 14)
    assert merge.fold(facts, "injured", PUBLIC, "police", T0, "p-3", 16)
    assert facts["injured"][PUBLIC]["police"] == [T0, "p-3", 16]


def test_fold_of_a_duplicate_changes_nothing() -> None:
    """Folding the same assertion again reports no change."""
    facts = facts_of((PUBLIC, "police", "p-1", T0, 12))
    assert not merge.fold(facts, "injured", PUBLIC, "police", T0, "p-1", 12)
    assert facts == facts_of((PUBLIC, "police", "p-1", T0, 12))


def test_fold_keeps_organisations_classes_and_properties_apart() -> None:
    """Each (property, class, organisation) keeps its own latest assertion."""
    facts: merge.Facts = {}
    merge.fold(facts, "injured", PUBLIC, "police", T0, "p-1", 12)
    merge.fold(facts, "injured", PUBLIC, "ghor", T0 - MINUTE, "g-1", 15)
    merge.fold(facts, "injured", "ghor,police", "police", T0 - MINUTE, "p-0", 11)
    merge.fold(facts, "status", PUBLIC, "police", T0 - MINUTE, "p-0", "open")
    assert facts == {
        "injured": {
            PUBLIC: {"police": [T0, "p-1", 12], "ghor": [T0 - MINUTE, "g-1", 15]},
            "ghor,police": {"police": [T0 - MINUTE, "p-0", 11]},
        },
        "status": {PUBLIC: {"police": [T0 - MINUTE, "p-0", "open"]}},
    }


ASSERTIONS = st.lists(
    st.tuples(
        st.sampled_from([PUBLIC, "fire,police", "ghor,police"]),
        st.sampled_from(["police", "fire", "ghor"]),
        st.sampled_from(["r-1", "r-2", "r-10"]),
        st.sampled_from([T0, T0 + MINUTE, T0 + 20 * MINUTE]),
        st.sampled_from([None, 12, 15, True]),
    ),
    max_size=8,
    # A report asserts one value per property: (organisation, report) fixes the rest.
    unique_by=lambda a: (a[1], a[2]),
)


@settings(max_examples=200, deadline=None)
@given(ASSERTIONS, st.data())
def test_fold_is_independent_of_order_and_duplicates(assertions: list[Any], data: st.DataObject) -> None:
    """Any order of the same assertions, with any of them repeated, folds into the same facts."""
    shuffled = data.draw(st.permutations(assertions))
    repeated = data.draw(st.lists(st.sampled_from(assertions), max_size=4)) if assertions else []
    assert facts_of(*shuffled, *repeated) == facts_of(*assertions)


# --- rules 1 to 3 ---------------------------------------------------------------------------------------


def test_latest_observation_wins() -> None:
    """Rule 1: the assertion with the latest observed_at wins, whatever the organisation or report id."""
    assert winner((PUBLIC, "zz-last", "z", T0, 12), (PUBLIC, "aa-first", "a", T0 + 1, 15)) == ("aa-first", "a", 15)


def test_tie_is_broken_by_the_larger_organisation() -> None:
    """Rule 2: on equal observed_at the larger organisation id wins."""
    assert winner((PUBLIC, "police", "a", T0, 12), (PUBLIC, "ghor", "z", T0, 15)) == ("police", "a", 12)


def test_tie_within_an_organisation_is_broken_by_the_larger_report_id() -> None:
    """Rule 2: on equal observed_at and organisation the larger report id wins, across classes too."""
    assert winner((PUBLIC, "police", "p-2", T0, 12), ("fire,police", "police", "p-1", T0, 15)) == ("police", "p-2", 12)


@pytest.mark.parametrize(
    ("small", "large"),
    [
        ("police-10", "police-9"),
        ("Police", "police"),
        ("police", "police-north"),
    ],
)
def test_organisation_ids_compare_as_strings(small: str, large: str) -> None:
    """Rule 2 compares organisation ids as strings, not as numbers or case-insensitively."""
    assert winner((PUBLIC, large, "r", T0, 1), (PUBLIC, small, "r", T0, 2))[0] == large


@pytest.mark.parametrize(("small", "large"), [("r-10", "r-9"), ("R-9", "r-1"), ("r", "r-0")])
def test_report_ids_compare_as_strings(small: str, large: str) -> None:
    """Rule 2 compares report ids as strings, not as numbers or case-insensitively."""
    assert winner(("fire,police", "police", small, T0, 1), (PUBLIC, "police", large, T0, 2))[1] == large


def test_null_winner_is_kept_as_the_winner() -> None:
    """Rule 3: a later null wins (the property is then absent when rendered)."""
    assert winner((PUBLIC, "police", "p-1", T0, 12), (PUBLIC, "ghor", "g-1", T0 + 1, None)) == ("ghor", "g-1", None)


def test_later_value_wins_over_earlier_null() -> None:
    """A value asserted after a null brings the property back."""
    assert winner((PUBLIC, "police", "p-1", T0, None), (PUBLIC, "police", "p-2", T0 + 1, 12)) == ("police", "p-2", 12)


def test_winner_provenance_names_organisation_report_and_instant() -> None:
    """The winner's provenance is its organisation, report id and observed_at in RFC 3339 UTC."""
    won = merged((PUBLIC, "police", "p-1", T0, 12), (PUBLIC, "ghor", "g-1", T0 + 500_000, 15)).winner
    assert won.provenance() == {"organisation": "ghor", "report": "g-1", "observed_at": "2026-11-27T13:03:00.500000Z"}
    assert merged((PUBLIC, "police", "p-1", T0, 12)).winner.provenance()["observed_at"] == "2026-11-27T13:03:00Z"


@settings(max_examples=200, deadline=None)
@given(ASSERTIONS.filter(bool))
def test_winner_is_the_largest_visible_assertion(assertions: list[Any]) -> None:
    """The winner is the assertion with the largest (observed_at, organisation, report id) of all folded."""
    _, organisation, report, observed_at, value = max(assertions, key=lambda a: (a[3], a[1], a[2]))
    won = merged(*assertions).winner
    assert (won.observed_at, won.organisation, won.report, won.value) == (observed_at, organisation, report, value)


def test_merge_property_is_none_when_nothing_is_visible() -> None:
    """A viewer that may see no assertion of a property gets no merged state for it."""
    facts = facts_of(("ghor,police", "police", "p-1", T0, 12))
    assert merge.merge_property(facts["injured"], merge.visible_to("fire"), WINDOW) is None


def test_merge_facts_merges_only_what_the_viewer_sees() -> None:
    """merge_facts has one entry per property with a visible assertion, and the hidden ones do not count."""
    facts: merge.Facts = {}
    merge.fold(facts, "injured", PUBLIC, "police", T0, "p-1", 12)
    merge.fold(facts, "injured", "ghor,police", "ghor", T0 + 1, "g-1", 15)
    merge.fold(facts, "triage", "ghor,police", "ghor", T0 + 1, "g-1", "red")
    merge.fold(facts, "status", PUBLIC, "police", T0, "p-1", None)
    for_fire = merge.merge_facts(facts, merge.visible_to("fire"), WINDOW)
    for_ghor = merge.merge_facts(facts, merge.visible_to("ghor"), WINDOW)
    assert {k: m.winner.value for k, m in for_fire.items()} == {"injured": 12, "status": None}
    assert {k: m.winner.value for k, m in for_ghor.items()} == {"injured": 15, "status": None, "triage": "red"}
    assert for_fire["injured"].conflict == []
    assert list(for_ghor) == ["injured", "status", "triage"]


def test_merge_facts_of_nothing_is_empty() -> None:
    """No facts merge into no properties."""
    assert merge.merge_facts({}, EVERYONE, WINDOW) == {}


# --- per organisation latest ----------------------------------------------------------------------------


def test_latest_per_organisation_takes_each_organisations_newest_across_classes() -> None:
    """Each organisation contributes its one latest visible assertion, from whichever class holds it."""
    facts = facts_of(
        (PUBLIC, "police", "p-1", T0, 12),
        ("ghor,police", "police", "p-2", T0 + MINUTE, 13),
        ("fire,police", "police", "p-3", T0 + 2 * MINUTE, 14),
        (PUBLIC, "ghor", "g-1", T0, 15),
    )
    latest = merge.latest_per_organisation(facts["injured"], merge.visible_to("ghor"))
    assert sorted((a.organisation, a.report, a.value) for a in latest) == [("ghor", "g-1", 15), ("police", "p-2", 13)]


def test_latest_per_organisation_breaks_ties_by_report_id() -> None:
    """Two assertions of one organisation with equal observed_at: the larger report id is its latest."""
    facts = facts_of((PUBLIC, "police", "p-9", T0, 12), ("fire,police", "police", "p-10", T0, 13))
    [latest] = merge.latest_per_organisation(facts["injured"], EVERYONE)
    assert (latest.report, latest.value) == ("p-9", 12)


def test_latest_per_organisation_skips_invisible_classes() -> None:
    """Assertions in classes the viewer may not see are not anybody's latest."""
    facts = facts_of(("fire,police", "police", "p-2", T0 + 1, 13), (PUBLIC, "police", "p-1", T0, 12))
    [latest] = merge.latest_per_organisation(facts["injured"], merge.visible_to("ghor"))
    assert latest.report == "p-1"
    assert merge.latest_per_organisation(facts["injured"], lambda cls: False) == []


# --- conflicts ------------------------------------------------------------------------------------------


def test_different_organisations_disagreeing_within_the_window_conflict() -> None:
    """Police 12 and GHOR 15, five minutes apart, conflict; the values are listed newest first."""
    result = merged((PUBLIC, "police", "p-1", T0, 12), (PUBLIC, "ghor", "g-1", T0 + 5 * MINUTE, 15))
    assert [(a.organisation, a.report, a.observed_at, a.value) for a in result.conflict] == [
        ("ghor", "g-1", T0 + 5 * MINUTE, 15),
        ("police", "p-1", T0, 12),
    ]
    assert result.winner.organisation == "ghor"


def test_conflict_does_not_change_the_winner() -> None:
    """The winner still follows rules 1 and 2 when there is a conflict."""
    result = merged((PUBLIC, "police", "p-1", T0, 12), (PUBLIC, "ghor", "g-1", T0, 15))
    assert result.winner.organisation == "police"
    assert {a.organisation for a in result.conflict} == {"police", "ghor"}


def test_conflict_values_with_equal_observed_at_are_ordered_by_organisation() -> None:
    """Conflicting values observed at the same instant are listed by organisation id."""
    assert conflict((PUBLIC, "police", "p-1", T0, 12), (PUBLIC, "ghor", "g-1", T0, 15)) == [
        ("ghor", 15),
        ("police", 12),
    ]


def test_equal_values_do_not_conflict() -> None:
    """Organisations agreeing on a value do not conflict."""
    assert conflict((PUBLIC, "police", "p-1", T0, 12), (PUBLIC, "ghor", "g-1", T0 + MINUTE, 12)) == []


def test_window_is_inclusive() -> None:
    """Observations exactly 15 minutes apart are within the window."""
    assert len(conflict((PUBLIC, "police", "p-1", T0, 12), (PUBLIC, "ghor", "g-1", T0 + WINDOW, 15))) == 2


def test_disagreement_outside_the_window_is_no_conflict() -> None:
    """Observations more than 15 minutes apart do not conflict."""
    assert conflict((PUBLIC, "police", "p-1", T0, 12), (PUBLIC, "ghor", "g-1", T0 + WINDOW + 1, 15)) == []


def test_window_is_configurable() -> None:
    """A wider window makes observations further apart conflict."""
    facts = facts_of((PUBLIC, "police", "p-1", T0, 12), (PUBLIC, "ghor", "g-1", T0 + 20 * MINUTE, 15))
    result = merge.merge_property(facts["injured"], EVERYONE, 30 * MINUTE)
    assert result is not None
    assert len(result.conflict) == 2
    assert merged((PUBLIC, "police", "p-1", T0, 12), (PUBLIC, "ghor", "g-1", T0 + 20 * MINUTE, 15)).conflict == []


def test_an_organisation_never_conflicts_with_itself() -> None:
    """Two assertions of one organisation, in different classes, are one latest assertion: no conflict."""
    assert conflict((PUBLIC, "police", "p-1", T0, 12), ("ghor,police", "police", "p-2", T0 + MINUTE, 15)) == []


def test_only_each_organisations_latest_assertion_counts() -> None:
    """An organisation's earlier assertion that disagreed no longer conflicts once it asserts the agreed value."""
    assert (
        conflict(
            (PUBLIC, "police", "p-1", T0, 12),
            (PUBLIC, "ghor", "g-1", T0 + MINUTE, 15),
            ("fire,police", "police", "p-2", T0 + 2 * MINUTE, 15),
        )
        == []
    )


def test_null_counts_as_a_value() -> None:
    """A null disagrees with a value."""
    assert conflict((PUBLIC, "police", "p-1", T0, None), (PUBLIC, "ghor", "g-1", T0 + MINUTE, 15)) == [
        ("ghor", 15),
        ("police", None),
    ]


def test_nulls_agree() -> None:
    """Two nulls do not conflict."""
    assert conflict((PUBLIC, "police", "p-1", T0, None), (PUBLIC, "ghor", "g-1", T0 + MINUTE, None)) == []


def test_conflict_involves_every_organisation_that_disagrees_with_another() -> None:
    """With three organisations, each one that disagrees with some other within the window is listed."""
    assert conflict(
        (PUBLIC, "police", "p-1", T0, 12),
        (PUBLIC, "fire", "f-1", T0 + MINUTE, 12),
        (PUBLIC, "ghor", "g-1", T0 + 2 * MINUTE, 15),
    ) == [("ghor", 15), ("fire", 12), ("police", 12)]


def test_conflict_lists_only_the_organisations_involved() -> None:
    """An organisation whose value is outside the window of every disagreeing value is not listed."""
    assert conflict(
        (PUBLIC, "police", "p-1", T0, 12),
        (PUBLIC, "fire", "f-1", T0 + 10 * MINUTE, 15),
        (PUBLIC, "ghor", "g-1", T0 + 30 * MINUTE, 12),
    ) == [("fire", 15), ("police", 12)]


def test_conflict_only_among_visible_assertions() -> None:
    """A disagreement in a class the viewer may not see is no conflict for that viewer."""
    both = ((PUBLIC, "police", "p-1", T0, 12), ("ghor,police", "ghor", "g-1", T0 + MINUTE, 15))
    assert merged(*both, visible=merge.visible_to("fire")).conflict == []
    assert len(merged(*both, visible=merge.visible_to("ghor")).conflict) == 2


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, True),
        (0, False),
        (1, "1"),
        (None, False),
        (None, 0),
        ("", None),
        ([1, 2], [2, 1]),
        ({"a": 1}, {"a": True}),
        ({"a": 1}, {"a": 1, "b": None}),
    ],
)
def test_json_values_that_differ_conflict(a: Any, b: Any) -> None:
    """Values that differ as JSON (1 and true, a list in another order, ...) disagree."""
    assert not merge.same_value(a, b)
    assert len(conflict((PUBLIC, "police", "p-1", T0, a), (PUBLIC, "ghor", "g-1", T0, b))) == 2


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ({"x": {"p": [1, {"q": 1, "r": 2}], "s": 0}}, {"x": {"s": 0, "p": [1, {"r": 2, "q": 1}]}}),
        (12, 12.0),
        ({"n": [1.0, 2]}, {"n": [1, 2.0]}),
        ("12", "12"),
        (True, True),
    ],
)
def test_equal_json_values_do_not_conflict(a: Any, b: Any) -> None:
    """Values equal as JSON (key order and 1 versus 1.0 make no difference) agree."""
    assert merge.same_value(a, b)
    assert conflict((PUBLIC, "police", "p-1", T0, a), (PUBLIC, "ghor", "g-1", T0, b)) == []


# --- visibility classes ---------------------------------------------------------------------------------


def test_class_of_an_unrestricted_report_is_public() -> None:
    """A partners or public report (no audience) belongs to the class every partner sees."""
    assert merge.class_of("police", None) == PUBLIC


def test_class_of_a_restricted_report_is_its_sorted_audience_with_the_sender() -> None:
    """A restricted report's class is its audience plus its sender, sorted, without duplicates."""
    assert merge.class_of("police", ["zeeland", "ghor"]) == "ghor,police,zeeland"
    assert merge.class_of("police", frozenset({"police", "ghor"})) == "ghor,police"
    assert merge.class_of("police", ["ghor", "ghor"]) == "ghor,police"
    assert merge.class_of("police", []) == "police"


def test_class_of_does_not_depend_on_audience_order() -> None:
    """The same audience in any order gives the same class."""
    assert merge.class_of("ghor", ["fire", "police"]) == merge.class_of("ghor", ["police", "fire"])


def test_class_members_are_the_organisations_of_a_restricted_class() -> None:
    """A restricted class names its members; the public class names none."""
    assert merge.class_members("ghor,police") == frozenset({"ghor", "police"})
    assert merge.class_members("police") == frozenset({"police"})
    assert merge.class_members(PUBLIC) == frozenset()


def test_everyone_sees_the_public_class() -> None:
    """Every organisation, and the anonymous viewer, sees the public class."""
    assert merge.visible_to("police")(PUBLIC)
    assert merge.visible_to(None)(PUBLIC)


def test_members_see_their_restricted_class() -> None:
    """An organisation sees a restricted class it is a member of, in any position."""
    for member in ("fire", "ghor", "police"):
        assert merge.visible_to(member)("fire,ghor,police")


def test_others_do_not_see_a_restricted_class() -> None:
    """An organisation outside a restricted class, and the anonymous viewer, do not see it."""
    assert not merge.visible_to("water")("fire,ghor,police")
    assert not merge.visible_to(None)("fire,ghor,police")


@pytest.mark.parametrize("viewer", ["pol", "police-north", "olice", "fire,ghor", ""])
def test_membership_is_by_whole_organisation_id(viewer: str) -> None:
    """Membership is an exact organisation id, never a substring or prefix of the class."""
    assert not merge.visible_to(viewer)("fire,ghor,police")


@settings(max_examples=200, deadline=None)
@given(
    sender=st.sampled_from(["fire", "ghor", "police", "police-north"]),
    audience=st.none() | st.lists(st.sampled_from(["fire", "ghor", "police", "police-north"]), max_size=3),
    viewer=st.sampled_from(["fire", "ghor", "police", "police-north", "water"]),
)
def test_visible_to_follows_section_5(sender: str, audience: list[str] | None, viewer: str) -> None:
    """A viewer sees a report's class exactly when it is unrestricted, or the viewer is in its audience or sent it."""
    expected = audience is None or viewer in audience or viewer == sender
    assert merge.visible_to(viewer)(merge.class_of(sender, audience)) == expected
