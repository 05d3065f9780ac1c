"""Incidents as one viewer sees them, and the combined picture of active incidents (``GET /picture``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.domain import geojson, picture
from app.domain.timefmt import format_micros
from app.errors import Forbidden, Invalid, NotFound
from app.formats import geojson_out
from app.repositories import organisations as organisations_repo
from app.repositories import picture as picture_repo
from app.repositories import reports as reports_repo
from app.services import audit
from app.services.audit import Caller
from app.services.auth import Principal
from app.services.reading import ObjectFilter, objects_of_incidents


async def visible_incidents(
    conn: AsyncConnection, viewer: str, window_us: int, only: str | None = None
) -> dict[str, dict[str, Any]]:
    """Every incident the viewer may see (or only the one named, if it may), by id, from the activity the writer
    keeps per incident: the cost follows the incidents answered, not the reports stored."""
    activity: dict[str, dict[str, Any]] = {}
    for incident, org, first, last, seq in await reports_repo.incident_activity(conn, viewer, only):
        entry = activity.setdefault(incident, {"orgs": set(), "first": first, "last": last, "seq": seq})
        entry["orgs"].add(org)
        entry["first"], entry["last"], entry["seq"] = (
            min(entry["first"], first),
            max(entry["last"], last),
            max(entry["seq"], seq),
        )
    if not activity:
        return {}
    states = await picture_repo.incident_states(conn, only)
    counts = await _object_counts(conn, viewer, only)
    return {
        incident: {
            "id": incident,
            **_fields(states.get(incident), viewer, window_us),
            "created_at": format_micros(a["first"]),
            "updated_at": format_micros(a["last"]),
            "seq": a["seq"],
            "object_count": counts.get(incident, 0),
            "organisations": sorted(a["orgs"]),
        }
        for incident, a in sorted(activity.items())
    }


def _fields(state: picture.IncidentState | None, viewer: str, window_us: int) -> dict[str, Any]:
    """An incident's merged fields as the viewer sees them, with its fixed ones: exercise and coordinators."""
    state = state or picture.IncidentState()
    fields = picture.render_incident_fields(state.facts, viewer, window_us)
    return {**fields, "exercise": state.exercise, "coordinators": list(state.coordinators)}


async def _object_counts(conn: AsyncConnection, viewer: str, only: str | None) -> dict[str, int]:
    counts = await picture_repo.public_counts(conn, only)
    own = await picture_repo.private_views(conn, viewer, None if only is None else [only])
    public = await picture_repo.public_presence(conn, [(row[0], row[1]) for row in own])
    for incident, object_id, json, _kind, removed in own:
        counts[incident] = (
            counts.get(incident, 0) - public.get((incident, object_id), False) + (json is not None and not removed)
        )
    return counts


async def list_incidents(
    *, db: Database, viewer: str, window_us: int, status: str | None, category: str | None, bbox: geojson.Bbox | None
) -> list[dict[str, Any]]:
    async with db.read() as conn:
        found = await visible_incidents(conn, viewer, window_us)
        selected = [i for i in found.values() if (status is None or i["status"] == status)
                    and (category is None or i["category"] == category)]  # fmt: skip
        if bbox is not None:
            inside = await objects_of_incidents(conn, viewer, [i["id"] for i in selected], ObjectFilter(bbox=bbox))
            having = {incident for incident, _ in inside}
            selected = [i for i in selected if i["id"] in having]
    return selected


async def get_incident(*, db: Database, viewer: str, window_us: int, incident: str) -> dict[str, Any]:
    async with db.read() as conn:
        found = await visible_incidents(conn, viewer, window_us, only=incident)
    if incident not in found:
        raise NotFound(f"no incident '{incident}'")
    return found[incident]


async def combined_picture(
    *,
    db: Database,
    viewer: str,
    window_us: int,
    flt: ObjectFilter,
    incidents: Sequence[str],
    exercise: bool,
    as_geojson: bool,
) -> bytes:
    """``GET /picture``: every visible object of the active incidents (exercises only when asked)."""
    async with db.read() as conn:
        seq = await reports_repo.last_seq(conn)
        found = await visible_incidents(conn, viewer, window_us)
        chosen = [i for i, info in found.items() if info["status"] == "active" and info["exercise"] == exercise
                  and (not incidents or i in incidents)]  # fmt: skip
        objects = [json for _, json in await objects_of_incidents(conn, viewer, chosen, flt)]
    if as_geojson:
        return orjson.dumps({"type": "FeatureCollection", "seq": seq, "features": [_feature(o) for o in objects]})
    return b'{"seq":' + str(seq).encode() + b',"objects":[' + b",".join(objects) + b"]}"


def _feature(rendered: bytes) -> dict[str, Any]:
    return geojson_out.feature(orjson.loads(rendered))


async def may_name_coordinators(*, db: Database, principal: Principal, incident: str, window_us: int) -> None:
    """Raises unless the caller may name the incident's coordinators (404 for an incident it cannot see, 403 for
    anyone but a coordinator with ``report`` or an admin): asked before the body is read, and again when written."""
    async with db.read() as conn:
        await _may_name_coordinators(conn, principal, incident, window_us)


async def _may_name_coordinators(conn: AsyncConnection, principal: Principal, incident: str, window_us: int) -> None:
    admin = "admin" in principal.roles
    viewer = principal.organisation or ""
    if not admin and "report" not in principal.roles:
        raise Forbidden("only the incident's coordinators (or an admin) name its coordinators")
    state = await picture_repo.incident_state(conn, incident)
    if state is None or (not admin and not await visible_incidents(conn, viewer, window_us, only=incident)):
        raise NotFound(f"no incident '{incident}'")
    if not admin and viewer not in state.coordinators:
        raise Forbidden("only the incident's coordinators (or an admin) name its coordinators")


async def set_coordinators(
    *, db: Database, principal: Principal, caller: Caller, incident: str, organisations: list[str], window_us: int
) -> dict[str, Any]:
    """Names an incident's coordinators (spec section 1): by a coordinator with the ``report`` role, or an admin;
    audited. Answers the incident as the caller sees it."""
    viewer = principal.organisation or ""
    async with db.write() as conn:
        await _may_name_coordinators(conn, principal, incident, window_us)
        known = await organisations_repo.existing_ids(conn, organisations)
        unknown = [{"path": f"organisations[{i}]", "message": f"unknown organisation '{org}'"}
                   for i, org in enumerate(organisations) if org not in known]  # fmt: skip
        if unknown:
            raise Invalid("the coordinators are invalid", unknown)
        named = list(dict.fromkeys(organisations))
        # The audit head first: the writer locks it before the incident rows, and so must everyone.
        await audit.record(conn, caller, "incident.coordinators", incident, coordinators=named)
        await picture_repo.set_coordinators(conn, incident, named)
        found = await visible_incidents(conn, viewer, window_us, only=incident)
    return found.get(incident) or {"id": incident, "coordinators": named}
