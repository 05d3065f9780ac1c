"""A demo crisis, told by its partners: a dike breach near Dordrecht over about four hours.

Pure data: no I/O, no clock, no randomness. `build_reports(start)` returns `(organisation id, report body)` pairs
in the order they are sent; every body follows shared/spec/api-v1.md section 3 and every `observed_at` lies in
`[start, start + 4h]`, written with the Dutch winter offset (+01:00).

The story is built to show what the picture can do: objects updated over time (water levels, a growing flooded
area, evacuation counts, shelter occupancy), a property cleared with `null`, a roadblock removed, GRIP 1 -> 2 -> 3,
a casualty count on which police (12) and GHOR (15) disagree within minutes and keep disagreeing (a standing
conflict, spec section 4), one restricted police report, public reports for the population, and a small separate
exercise incident near Moerdijk.

Each partner's part is a small function returning `_Step`s (minute, sender, summary, objects); the steps are put
in time order and numbered per organisation only at the end, so a part can be changed without renumbering others.
"""

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

_Json = dict[str, object]
_Position = tuple[float, float]


@dataclass(frozen=True)
class DemoOrganisation:
    id: str
    name: str
    discipline: str
    country: str


_VR = "vr-zhz"
_WSHD = "wshd"
_POLICE = "politie-zhz"
_FIRE = "brandweer-zhz"
_GHOR = "ghor-zhz"
_DORDRECHT = "gemeente-dordrecht"
_RWS = "rijkswaterstaat"
_NCCN = "nccn-be"
_NCC = "ncc-nl"

ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(_VR, "Veiligheidsregio Zuid-Holland-Zuid", "other", "NL"),
    DemoOrganisation(_WSHD, "Waterschap Hollandse Delta", "water", "NL"),
    DemoOrganisation(_POLICE, "Politie Zuid-Holland-Zuid", "police", "NL"),
    DemoOrganisation(_FIRE, "Brandweer Zuid-Holland-Zuid", "fire", "NL"),
    DemoOrganisation(_GHOR, "GHOR Zuid-Holland-Zuid", "medical", "NL"),
    DemoOrganisation(_DORDRECHT, "Gemeente Dordrecht", "population-care", "NL"),
    DemoOrganisation(_RWS, "Rijkswaterstaat", "infrastructure", "NL"),
    DemoOrganisation(_NCCN, "Nationaal Crisiscentrum België (NCCN)", "national", "BE"),
    DemoOrganisation(_NCC, "Nationaal CrisisCentrum (NCC)", "national", "NL"),
)

# Incident authority (spec section 1): the safety region created the incident and coordinates it; when it scales
# up to GRIP 3 it names the national crisis centre as a coordinator too: (minute, named by, coordinators).
COORDINATION: tuple[tuple[int, str, tuple[str, ...]], ...] = ((80, _VR, (_VR, _NCC)),)

INCIDENT_ID = "flood-dordrecht-2026-11"
_EXERCISE_ID = "exercise-chemical-moerdijk-2026"

_CET = timezone(timedelta(hours=1))
_REPORT_PREFIX = {
    _VR: "vrzhz",
    _WSHD: "wshd",
    _POLICE: "pol",
    _FIRE: "bw",
    _GHOR: "ghor",
    _DORDRECHT: "dord",
    _RWS: "rws",
    _NCCN: "nccn",
    _NCC: "ncc",
}

# Places, [lon, lat] (WGS84).
_BREACH = (4.6405, 51.7880)
_GAUGE_KIL = (4.6360, 51.7920)
_GAUGE_WANTIJ = (4.7000, 51.8120)
_WIELWIJK = (4.6540, 51.7975)
_CRABBEHOF = (4.6660, 51.7930)
_SPORTBOULEVARD = (4.6858, 51.7936)
_ENERGIEHUIS = (4.6745, 51.8130)
_HOSPITAL = (4.6833, 51.7963)
_MERWEDEBRUG = (4.7048, 51.8195)
_STAGING = (4.6570, 51.7820)
_TANK_12 = (4.5805, 51.6842)
_EVACUATION_AREAS = {
    "evac-wielwijk": ((4.6460, 51.7930, 4.6620, 51.8040), 4200),
    "evac-crabbehof": ((4.6600, 51.7860, 4.6740, 51.7960), 3600),
    "evac-zuidhoven": ((4.6700, 51.7800, 4.6860, 51.7900), 2900),
}
_EVACUATION_ORDERED_AT = {"evac-wielwijk": 35, "evac-crabbehof": 80, "evac-zuidhoven": 80}


@dataclass(frozen=True)
class _Step:
    minute: int
    organisation: str
    summary: str
    objects: list[_Json] = field(default_factory=list)
    incident: str = INCIDENT_ID
    incident_info: _Json | None = None
    visibility: str = "partners"
    audience: tuple[str, ...] = ()


def build_reports(start: datetime) -> list[tuple[str, dict[str, object]]]:
    """Builds the scenario's reports, in sending order, observed from `start` (timezone-aware) onwards."""
    if start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    steps = sorted(_story(), key=lambda step: step.minute)
    counters: dict[str, int] = {}
    return [(step.organisation, _body(step, start, counters)) for step in steps]


def build_actions(start: datetime) -> list[tuple[str, str, dict[str, object]]]:
    """The scenario as the loader plays it, in order: ("report", organisation, body) and ("coordinators",
    organisation, {"incident", "organisations"}) when an organisation names an incident's coordinators."""
    reports = build_reports(start)
    minutes = sorted(step.minute for step in _story())
    actions: list[tuple[str, str, dict[str, object]]] = []
    pending = list(COORDINATION)
    for (organisation, body), minute in zip(reports, minutes, strict=True):
        while pending and pending[0][0] <= minute:
            _, by, coordinators = pending.pop(0)
            actions.append(("coordinators", by, {"incident": INCIDENT_ID, "organisations": list(coordinators)}))
        actions.append(("report", organisation, body))
    return actions


def _body(step: _Step, start: datetime, counters: dict[str, int]) -> _Json:
    number = counters.get(step.organisation, 0) + 1
    counters[step.organisation] = number
    observed_at = (start + timedelta(minutes=step.minute)).astimezone(_CET)
    body: _Json = {"id": f"{_REPORT_PREFIX[step.organisation]}-{number:04d}", "incident": step.incident}
    if step.incident_info is not None:
        body["incident_info"] = step.incident_info
    body |= {
        "observed_at": observed_at.isoformat(timespec="seconds"),
        "summary": step.summary,
        "objects": step.objects,
        "visibility": step.visibility,
    }
    if step.audience:
        body["audience"] = list(step.audience)
    return body


def _story() -> list[_Step]:
    return [
        *_safety_region(),
        *_water_board(),
        *_police(),
        *_fire_service(),
        *_medical(),
        *_municipality(),
        *_infrastructure(),
        *_cross_border(),
        *_exercise(),
    ]


# Geometry and object helpers.


def _point(position: _Position) -> _Json:
    return {"type": "Point", "coordinates": [position[0], position[1]]}


def _line(*positions: _Position) -> _Json:
    return {"type": "LineString", "coordinates": [[lon, lat] for lon, lat in positions]}


def _polygon(ring: list[_Position]) -> _Json:
    closed = [*ring, ring[0]]
    return {"type": "Polygon", "coordinates": [[[round(lon, 5), round(lat, 5)] for lon, lat in closed]]}


def _box(west: float, south: float, east: float, north: float) -> _Json:
    return _polygon([(west, south), (east, south), (east, north), (west, north)])


def _half_ellipse(centre: _Position, rx: float, ry: float, steps: int = 10) -> _Json:
    """A half ellipse east of `centre`: water spreading inland from a breach in a dike running north-south."""
    angles = [-math.pi / 2 + math.pi * i / steps for i in range(steps + 1)]
    return _polygon([(centre[0] + rx * math.cos(a), centre[1] + ry * math.sin(a)) for a in angles])


def _obj(object_id: str, kind: str, geometry: _Json | None = None, /, **properties: object) -> _Json:
    entry: _Json = {"id": object_id, "kind": kind}
    if geometry is not None:
        entry["geometry"] = geometry
    if properties:
        entry["properties"] = properties
    return entry


def _removed(object_id: str) -> _Json:
    return {"id": object_id, "removed": True}


_Row = tuple[int, str, _Json]


def _steps(organisation: str, rows: tuple[_Row, ...]) -> list[_Step]:
    """Turns `(minute, summary, object)` rows of one organisation into steps of one object each."""
    return [_Step(minute, organisation, summary, [entry]) for minute, summary, entry in rows]


# Veiligheidsregio: GRIP decisions and the regional operational team's rounds.


def _safety_region() -> list[_Step]:
    return [*_grip_decisions(), *_rot_meetings()]


def _grip_decisions() -> list[_Step]:
    info: _Json = {"title": "Dijkdoorbraak Dordrecht", "category": "flood", "status": "active", "grip": 1}
    first = _obj("decision-grip", "decision", _point(_BREACH), grip=1, decided_by="Commandant CoPI")
    second = [_grip_object(2, "Operationeel Leider"), _evacuation_order("evac-wielwijk")]
    third = [_grip_object(3, "Burgemeester Dordrecht"), *map(_evacuation_order, ("evac-crabbehof", "evac-zuidhoven"))]
    return [
        _Step(
            0, _VR, "Melding dijkdoorbraak Dordtse Kil bij Wielwijk; GRIP 1 afgekondigd.", [first], incident_info=info
        ),
        _Step(
            35, _VR, "Opgeschaald naar GRIP 2; verplichte evacuatie van Wielwijk.", second, incident_info={"grip": 2}
        ),
        _Step(
            80, _VR, "Opgeschaald naar GRIP 3; ook Crabbehof en Zuidhoven evacueren.", third, incident_info={"grip": 3}
        ),
        _Step(
            95, _NCC, "NCC mede-coördinerend: landelijk beeld en bestuurlijke afstemming met Den Haag gestart.",
            [_obj("national-coordination", "decision", decided_by="NCC", scope="landelijk beeld")],
            incident_info={"category": "flood"},
        ),
    ]


def _grip_object(grip: int, decided_by: str) -> _Json:
    return _obj("decision-grip", "decision", grip=grip, decided_by=decided_by)


def _evacuation_order(area: str) -> _Json:
    bounds, _ = _EVACUATION_AREAS[area]
    return _obj(area, "evacuation-area", _box(*bounds), order="verplicht", decided_by="ROT")


_ROT_FOCUS = (
    "beeldvorming bres en waterverloop",
    "evacuatieroutes en afzettingen",
    "opvangcapaciteit en verwanten",
    "zorg voor verminderd zelfredzamen",
    "inzet hoogcapaciteitspompen",
    "noodafsluiting bres",
    "nachtelijke opvang en bewaking",
    "afschaling en nazorg voorbereiden",
)


def _rot_meetings() -> list[_Step]:
    rows = tuple(
        (15 + 30 * n, f"ROT-overleg {n + 1}: {focus}.", _obj("rot-meeting", "meeting", round=n + 1, focus=focus))
        for n, focus in enumerate(_ROT_FOCUS)
    )
    return _steps(_VR, rows)


# Waterschap: the breach, two water level gauges and the flooded area.


def _water_board() -> list[_Step]:
    return [_water_step(minute) for minute in range(3, 240, 10)]


def _water_step(minute: int) -> _Step:
    kil = _water_level(minute, base=2.62, rise=0.58)
    objects = [
        _breach(minute),
        _obj("gauge-dordtse-kil", "water-gauge", _point(_GAUGE_KIL), level_m_nap=kil, trend=_trend(minute)),
        _obj(
            "gauge-wantij",
            "water-gauge",
            _point(_GAUGE_WANTIJ),
            level_m_nap=_water_level(minute, base=2.35, rise=0.41),
            trend=_trend(minute),
        ),
    ]
    if minute % 20 == 3:
        objects.append(_flooded_area(minute))
    return _Step(minute, _WSHD, f"Waterstand Dordtse Kil {kil:.2f} m NAP, {_trend(minute)}.", objects)


def _water_level(minute: int, *, base: float, rise: float) -> float:
    """Rises until the tide turns at minute 150, then falls slowly."""
    level = base + rise * min(minute, 150) / 150 - 0.2 * max(0, minute - 150) / 90
    return round(level, 2)


def _trend(minute: int) -> str:
    return "stijgend" if minute < 150 else "dalend"


def _breach(minute: int) -> _Json:
    width = min(60, 15 + minute * 3 // 8)
    status = "open" if minute < 170 else "noodafsluiting in uitvoering"
    return _obj("breach-dordtse-kil", "dike-breach", _point(_BREACH), width_m=width, status=status)


def _flooded_area(minute: int) -> _Json:
    spread = 1 - math.exp(-minute / 110)
    rx = 0.003 + 0.042 * spread
    ry = 0.002 + 0.026 * spread
    area_ha = round(math.pi * (rx * 68.8) * (ry * 111.2) / 2 * 100)
    depth = round(0.3 + 1.4 * spread, 1)
    return _obj("flooded-area", "flooded-area", _half_ellipse(_BREACH, rx, ry), area_ha=area_ha, max_depth_m=depth)


# Politie: roadblocks, evacuation support, a casualty count and a confidential investigation.


def _police() -> list[_Step]:
    return [*_roadblocks(), *_police_patrols(), _police_casualties(), _police_investigation()]


def _roadblock(object_id: str, position: _Position | None = None, **properties: object) -> _Json:
    if position is None:
        return _obj(object_id, "roadblock", **properties)
    return _obj(object_id, "roadblock", _point(position), status="active", **properties)


def _roadblocks() -> list[_Step]:
    exit_21, exit_20 = "roadblock-a16-exit-21", "roadblock-a16-exit-20"
    wielwijk, n3 = "roadblock-wielwijk-centrum", "roadblock-n3-zuidhoven"
    pass_note = "doorgang bewoners met pas"
    return _steps(
        _POLICE,
        (
            (
                8,
                "A16 afrit 21 Dordrecht-Centrum afgesloten.",
                _roadblock(exit_21, (4.6478, 51.8005), note="alleen hulpdiensten"),
            ),
            (12, "Afzetting Wielwijk ingesteld.", _roadblock(wielwijk, (4.6575, 51.8010), note=pass_note)),
            (38, "N3 afrit Zuidhoven afgesloten.", _roadblock(n3, (4.6880, 51.7850), note="beide richtingen")),
            (85, "A16 afrit 20 Dordrecht-Zuid afgesloten.", _roadblock(exit_20, (4.6500, 51.7850))),
            (150, "Afzetting Wielwijk: geen doorgang meer voor bewoners.", _roadblock(wielwijk, note=None)),
            (200, "A16 afrit 21 weer open; afzetting opgeheven.", _removed(exit_21)),
        ),
    )


_PATROL_ROUTE = ((4.6520, 51.7990), (4.6580, 51.7960), (4.6640, 51.7940), (4.6700, 51.7900), (4.6760, 51.7860))


def _police_patrols() -> list[_Step]:
    return [_patrol_step(index, 20 + 15 * index) for index in range(15)]


def _patrol_step(index: int, minute: int) -> _Step:
    units = min(12, 4 + index)
    checked = 140 * index + 60
    position = _PATROL_ROUTE[index % len(_PATROL_ROUTE)]
    unit = _obj("pol-evacuatieteam", "police-unit", _point(position), units=units, homes_checked=checked)
    return _Step(minute, _POLICE, f"{units} eenheden ondersteunen evacuatie; {checked} woningen gecontroleerd.", [unit])


def _police_casualties() -> _Step:
    count = _obj("casualties-wielwijk", "casualty-count", _point(_WIELWIJK), injured=12)
    return _Step(95, _POLICE, "Ter plaatse geteld in Wielwijk: 12 gewonden.", [count])


def _police_investigation() -> _Step:
    investigation = _obj(
        "police-restricted-investigation-breach",
        "investigation",
        _point((4.6412, 51.7884)),
        status="open",
        note="Sporen van graafwerkzaamheden bij de bres; recherche ter plaatse.",
    )
    return _Step(
        60,
        _POLICE,
        "Vertrouwelijk: strafrechtelijk onderzoek gestart bij de bres.",
        [investigation],
        visibility="restricted",
        audience=(_GHOR, _VR),
    )


# Brandweer: rescue boats and a high-capacity pump.


_BOAT_ROUTE = ((4.6480, 51.7920), (4.6530, 51.7950), (4.6590, 51.7910), (4.6620, 51.7880), (4.6560, 51.7870))


def _fire_service() -> list[_Step]:
    return [*(_boat_step(index, 22 + 15 * index) for index in range(15)), *_pump_steps()]


def _boat_step(index: int, minute: int) -> _Step:
    first = _BOAT_ROUTE[index % len(_BOAT_ROUTE)]
    second = _BOAT_ROUTE[(index + 2) % len(_BOAT_ROUTE)]
    rescued_first, rescued_second = 6 * index + 2, 4 * index
    boats = [
        _obj("bw-redboot-1", "rescue-boat", _point(first), persons_rescued=rescued_first, crew=4),
        _obj("bw-redboot-2", "rescue-boat", _point(second), persons_rescued=rescued_second, crew=3),
    ]
    total = rescued_first + rescued_second
    return _Step(minute, _FIRE, f"Redboten in Wielwijk: {total} personen uit woningen gehaald.", boats)


def _pump_steps() -> list[_Step]:
    pump, position = "bw-hcp-crabbehof", _point((4.6555, 51.7840))
    return _steps(
        _FIRE,
        (
            (
                110,
                "Hoogcapaciteitspomp wordt opgebouwd bij Crabbehof.",
                _obj(pump, "pump", position, status="opbouw", capacity_m3_per_min=8),
            ),
            (140, "Hoogcapaciteitspomp Crabbehof in bedrijf.", _obj(pump, "pump", status="in bedrijf")),
        ),
    )


# GHOR: casualty clearing, ambulance post, hospital capacity and a casualty count.


def _medical() -> list[_Step]:
    return [*_medical_posts(), *(_hospital_step(index) for index in range(8)), _medical_casualties()]


def _medical_posts() -> list[_Step]:
    gnk, post = "ghor-gnk-crabbehof", "ghor-ambulancepost-sportboulevard"
    return _steps(
        _GHOR,
        (
            (
                40,
                "Gewondennest ingericht in Crabbehof.",
                _obj(gnk, "casualty-clearing-station", _point(_CRABBEHOF), status="operationeel"),
            ),
            (
                55,
                "Ambulancepost bij Sportboulevard ingericht.",
                _obj(post, "ambulance-post", _point((4.6872, 51.7930)), ambulances=4),
            ),
            (130, "Ambulancepost opgeschaald naar 7 ambulances.", _obj(post, "ambulance-post", ambulances=7)),
            (190, "Ambulancepost afgeschaald naar 5 ambulances.", _obj(post, "ambulance-post", ambulances=5)),
        ),
    )


def _hospital_step(index: int) -> _Step:
    beds = max(6, 48 - 6 * index)
    emergency = "normaal" if index < 2 else "druk"
    hospital = _obj(
        "ghor-asz-dordwijk", "hospital", _point(_HOSPITAL), beds_available=beds, emergency_department=emergency
    )
    return _Step(25 + 30 * index, _GHOR, f"Albert Schweitzer Dordwijk: {beds} bedden beschikbaar.", [hospital])


def _medical_casualties() -> _Step:
    count = _obj("casualties-wielwijk", "casualty-count", injured=15)
    return _Step(100, _GHOR, "Geregistreerd via gewondennest en ambulances: 15 gewonden uit Wielwijk.", [count])


# Gemeente Dordrecht: shelters, evacuation counts and public information.


def _municipality() -> list[_Step]:
    shelters = [_shelter_step(minute) for minute in range(60, 226, 15)]
    evacuations = [_evacuation_step(minute) for minute in range(50, 231, 20)]
    return [_shelter_opened(), *shelters, *evacuations, *_public_information()]


def _shelter_opened() -> _Step:
    shelter = _obj(
        "shelter-sportboulevard",
        "shelter",
        _point(_SPORTBOULEVARD),
        name="Sportboulevard Dordrecht",
        status="open",
        capacity=1500,
        occupancy=0,
    )
    return _Step(45, _DORDRECHT, "Opvanglocatie Sportboulevard Dordrecht is open.", [shelter], visibility="public")


def _shelter_step(minute: int) -> _Step:
    occupancy = min(1450, 9 * (minute - 45))
    properties: _Json = {"occupancy": occupancy}
    if minute == 90:
        properties["needs"] = "veldbedden en dekens"
    if minute == 165:
        properties["needs"] = None
    shelters = [_obj("shelter-sportboulevard", "shelter", **properties)]
    if minute >= 120:
        shelters.append(_energiehuis(minute))
    summary = f"Opvang Sportboulevard: {occupancy} personen."
    return _Step(minute, _DORDRECHT, summary, shelters, visibility="public")


def _energiehuis(minute: int) -> _Json:
    occupancy = min(580, 5 * (minute - 110))
    return _obj(
        "shelter-energiehuis",
        "shelter",
        _point(_ENERGIEHUIS),
        name="Energiehuis",
        status="open",
        capacity=600,
        occupancy=occupancy,
    )


def _evacuation_step(minute: int) -> _Step:
    counts = {area: _evacuated(area, minute) for area, at in _EVACUATION_ORDERED_AT.items() if at < minute}
    areas = [
        _obj(area, "evacuation-area", evacuated=count, to_evacuate=_EVACUATION_AREAS[area][1])
        for area, count in counts.items()
    ]
    summary = f"Geregistreerd geëvacueerd: {sum(counts.values())} inwoners."
    return _Step(minute, _DORDRECHT, summary, areas)


def _evacuated(area: str, minute: int) -> int:
    residents = _EVACUATION_AREAS[area][1]
    return min(residents, 30 * (minute - _EVACUATION_ORDERED_AT[area]))


def _public_information() -> list[_Step]:
    messages = (
        (50, "Inwoners van Wielwijk: verlaat uw woning, ga naar familie of naar opvang Sportboulevard."),
        (95, "Ook Crabbehof en Zuidhoven worden geëvacueerd; volg de aanwijzingen van politie en brandweer."),
        (205, "A16 afrit 21 is weer open. Blijf uit het ondergelopen gebied; kijk op crisis.nl."),
    )
    return [_public_step(minute, text) for minute, text in messages]


def _public_step(minute: int, text: str) -> _Step:
    information = _obj("publieksinformatie", "public-information", message=text)
    return _Step(minute, _DORDRECHT, text, [information], visibility="public")


# Rijkswaterstaat: the Merwedebrug, shipping on the Dordtse Kil and traffic on the A16.


def _infrastructure() -> list[_Step]:
    return [_infrastructure_step(minute) for minute in range(10, 240, 20)]


def _infrastructure_step(minute: int) -> _Step:
    delay = min(45, 5 + minute // 5) if minute < 200 else 15
    shipping = "gestremd" if minute < 190 else "beperkt, eenrichtingsverkeer"
    bridge = "alleen hulpdiensten" if 40 <= minute < 180 else "open"
    kil = _line((4.6390, 51.8000), (4.6320, 51.7750))
    a16 = _line((4.6450, 51.8150), (4.6520, 51.7800))
    objects = [
        _obj("merwedebrug-n3", "bridge", _point(_MERWEDEBRUG), status=bridge),
        _obj("scheepvaart-dordtse-kil", "shipping-restriction", kil, status=shipping),
        _obj("a16-verkeer-dordrecht", "traffic-measure", a16, delay_minutes=delay),
    ]
    summary = f"A16 bij Dordrecht {delay} min vertraging; scheepvaart Dordtse Kil {shipping}."
    return _Step(minute, _RWS, summary, objects)


# NCCN (Belgium): cross-border high-capacity pumps (B-FAST).


def _cross_border() -> list[_Step]:
    offer = "be-bfast-pompen"
    return _steps(
        _NCCN,
        (
            (
                90,
                "België biedt twee B-FAST hoogcapaciteitspompen aan.",
                _obj(offer, "assistance", status="aangeboden", units=2, resource="hoogcapaciteitspompen"),
            ),
            (
                125,
                "Aanbod aanvaard; B-FAST-konvooi vertrokken uit Brasschaat.",
                _obj(offer, "assistance", status="onderweg"),
            ),
            (
                185,
                "B-FAST-pompen aangekomen op het uitgangspunt bij Zuidhoven.",
                _obj(offer, "assistance", _point(_STAGING), status="ter plaatse"),
            ),
            (225, "B-FAST-pompen in bedrijf.", _obj(offer, "assistance", status="in bedrijf")),
        ),
    )


# Exercise: a chemical leak at Moerdijk, played by the fire service alongside the real incident.


def _exercise() -> list[_Step]:
    steps = [replace(step, incident=_EXERCISE_ID, summary=f"OEFENING: {step.summary}") for step in _exercise_play()]
    info: _Json = {"title": "Oefening chemisch incident Moerdijk", "category": "hazmat", "grip": 1, "exercise": True}
    steps[0] = replace(steps[0], incident_info={**info, "status": "active"})
    steps[-1] = replace(steps[-1], incident_info={"status": "closed"})
    return steps


def _exercise_play() -> list[_Step]:
    source, meter, zone = "ex-lek-tank-12", "ex-meetpunt-1", "ex-effectgebied"
    return _steps(
        _FIRE,
        (
            (
                60,
                "ammoniaklekkage tank 12 haven Moerdijk.",
                _obj(source, "hazmat-source", _point(_TANK_12), substance="ammoniak", leaking=True),
            ),
            (70, "eerste meting benedenwinds.", _obj(meter, "gas-measurement", _point((4.5900, 51.6860)), ppm=35)),
            (75, "effectgebied vastgesteld.", _obj(zone, "hazard-zone", _half_ellipse(_TANK_12, 0.012, 0.006))),
            (85, "meetwaarde stijgt.", _obj(meter, "gas-measurement", ppm=60)),
            (
                95,
                "ontsmettingspost ingericht.",
                _obj("ex-ontsmetting", "decontamination-post", _point((4.5720, 51.6800)), status="open"),
            ),
            (105, "lek gedicht.", _obj(source, "hazmat-source", leaking=False)),
            (120, "oefening beëindigd.", _removed(zone)),
        ),
    )
