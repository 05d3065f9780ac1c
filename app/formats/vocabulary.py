"""One vocabulary for partners on both sides of the border: the kinds of objects, their key properties and the
incident categories, each with Dutch, English and German labels (and a unit where a property has one).

Every adapter maps onto it: CAP areas are ``warning-area`` with CAP's fields under the names below, CAP's
categories are incident categories (``Met`` -> ``weather``), Cursor-on-Target types are kinds (``a-f-G-U-C`` ->
``unit``, ``b-r-f-h-c`` -> ``casualties``). A report may still use a kind or a property outside it: it is kept as
sent, and ``in_vocabulary`` tells a reader whether a kind is one of these.
"""

from __future__ import annotations

from typing import Any

import orjson

Labels = tuple[str, str, str]  # nl, en, de

KINDS: dict[str, Labels] = {
    "unit": ("Eenheid", "Unit", "Einheit"),
    "vehicle": ("Voertuig", "Vehicle", "Fahrzeug"),
    "aircraft": ("Luchtvaartuig", "Aircraft", "Luftfahrzeug"),
    "vessel": ("Vaartuig", "Vessel", "Wasserfahrzeug"),
    "command-post": ("Commandopost", "Command post", "Befehlsstelle"),
    "staging-area": ("Uitgangsstelling", "Staging area", "Bereitstellungsraum"),
    "roadblock": ("Wegafzetting", "Roadblock", "Straßensperre"),
    "bottleneck": ("Knelpunt", "Bottleneck", "Engpass"),
    "hazard-area": ("Gevarengebied", "Hazard area", "Gefahrenbereich"),
    "warning-area": ("Waarschuwingsgebied", "Warning area", "Warngebiet"),
    "evacuation-area": ("Evacuatiegebied", "Evacuation area", "Evakuierungsgebiet"),
    "dike-breach": ("Dijkdoorbraak", "Dike breach", "Deichbruch"),
    "shelter": ("Opvanglocatie", "Shelter", "Notunterkunft"),
    "casualties": ("Slachtoffers", "Casualties", "Betroffene Personen"),
    "point-of-interest": ("Aandachtspunt", "Point of interest", "Markierter Punt"),
    "drawing": ("Tekening", "Drawing", "Zeichnung"),
    "decision": ("Besluit", "Decision", "Entscheidung"),
    "forecast": ("Prognose", "Forecast", "Prognose"),
}

# name -> (labels, unit or None)
PROPERTIES: dict[str, tuple[Labels, str | None]] = {
    "status": (("Status", "Status", "Status"), None),
    "note": (("Opmerking", "Note", "Bemerkung"), None),
    "remarks": (("Toelichting", "Remarks", "Anmerkungen"), None),
    "evacuated": (("Geëvacueerd", "Evacuated", "Evakuiert"), "persons"),
    "to_evacuate": (("Te evacueren", "To evacuate", "Zu evakuieren"), "persons"),
    "injured": (("Gewonden", "Injured", "Verletzte"), "persons"),
    "dead": (("Doden", "Dead", "Tote"), "persons"),
    "missing": (("Vermisten", "Missing", "Vermisste"), "persons"),
    "capacity": (("Capaciteit", "Capacity", "Kapazität"), "persons"),
    "occupancy": (("Bezetting", "Occupancy", "Belegung"), "persons"),
    "water_level_m": (("Waterstand", "Water level", "Wasserstand"), "m"),
    "callsign": (("Roepnaam", "Call sign", "Rufname"), None),
    "team": (("Team", "Team", "Team"), None),
    "role": (("Rol", "Role", "Rolle"), None),
    "affiliation": (("Herkenning", "Affiliation", "Zugehörigkeit"), None),
    "course_deg": (("Koers", "Course", "Kurs"), "°"),
    "speed_mps": (("Snelheid", "Speed", "Geschwindigkeit"), "m/s"),
    "altitude_hae_m": (("Hoogte (ellipsoïde)", "Height (ellipsoid)", "Höhe (Ellipsoid)"), "m"),
    "battery_pct": (("Batterij", "Battery", "Akku"), "%"),
    "stale_at": (("Verouderd na", "Stale after", "Veraltet ab"), "RFC 3339"),
    "stale": (("Verouderd", "Stale", "Veraltet"), None),
    "cot_type": (("CoT-type", "CoT type", "CoT-Typ"), None),
    "event": (("Gebeurtenis", "Event", "Ereignis"), None),
    "headline": (("Kop", "Headline", "Überschrift"), None),
    "description": (("Beschrijving", "Description", "Beschreibung"), None),
    "instruction": (("Handelingsadvies", "Instruction", "Handlungsempfehlung"), None),
    "urgency": (("Urgentie", "Urgency", "Dringlichkeit"), None),
    "severity": (("Ernst", "Severity", "Schweregrad"), None),
    "certainty": (("Zekerheid", "Certainty", "Gewissheit"), None),
    "category": (("Categorie", "Category", "Kategorie"), None),
    "effective": (("Geldig vanaf", "Effective", "Gültig ab"), "RFC 3339"),
    "onset": (("Aanvang", "Onset", "Beginn"), "RFC 3339"),
    "expires": (("Geldig tot", "Expires", "Gültig bis"), "RFC 3339"),
    "area_description": (("Gebied", "Area", "Gebiet"), None),
    "sender_name": (("Afzender", "Sender", "Absender"), None),
    "language": (("Taal", "Language", "Sprache"), None),
    "intended_audience": (("Doelgroep", "Audience", "Zielgruppe"), None),
    "response_type": (("Handelingstype", "Response type", "Reaktionsart"), None),
    "event_codes": (("Gebeurteniscodes", "Event codes", "Ereigniscodes"), None),
    "parameters": (("Parameters", "Parameters", "Parameter"), None),
    "geocodes": (("Geocodes", "Geocodes", "Geocodes"), None),
    "web": (("Website", "Web", "Webseite"), None),
    "contact": (("Contact", "Contact", "Kontakt"), None),
    "altitude_ft": (("Hoogte", "Altitude", "Höhe"), "ft"),
    "ceiling_ft": (("Plafond", "Ceiling", "Obergrenze"), "ft"),
    "how": (("Bron van de positie", "How (position source)", "Quelle der Position"), None),
    "ce_m": (("Horizontale onnauwkeurigheid", "Circular error", "Horizontaler Fehler"), "m"),
    "le_m": (("Verticale onnauwkeurigheid", "Linear error", "Vertikaler Fehler"), "m"),
}

CATEGORIES: dict[str, Labels] = {
    "flood": ("Overstroming", "Flood", "Hochwasser"),
    "fire": ("Brand", "Fire", "Brand"),
    "hazmat": ("Gevaarlijke stoffen", "Hazardous materials", "Gefahrstoffe"),
    "outage": ("Uitval", "Outage", "Ausfall"),
    "cyber": ("Cyberincident", "Cyber incident", "Cybervorfall"),
    "public-order": ("Openbare orde", "Public order", "Öffentliche Ordnung"),
    "weather": ("Weer", "Weather", "Wetter"),
    "geophysical": ("Geofysisch", "Geophysical", "Geophysikalisch"),
    "safety": ("Veiligheid", "Safety", "Sicherheit"),
    "security": ("Beveiliging", "Security", "Gefahrenabwehr"),
    "rescue": ("Redding", "Rescue", "Rettung"),
    "health": ("Gezondheid", "Health", "Gesundheit"),
    "environment": ("Milieu", "Environment", "Umwelt"),
    "transport": ("Transport", "Transport", "Verkehr"),
    "infrastructure": ("Infrastructuur", "Infrastructure", "Infrastruktur"),
    "cbrne": ("CBRNe", "CBRNE", "CBRNE"),
    "other": ("Overig", "Other", "Sonstiges"),
}

# Cursor-on-Target type prefixes -> kinds, longest first (MIL-STD-2525 function ids behind the "a-x-" atoms).
_COT_KINDS = (
    ("b-r-f-h-c", "casualties"),
    ("u-d-", "drawing"),
    ("b-m-p-", "point-of-interest"),
    ("a-.-G-E-V", "vehicle"),
    ("a-.-G-U", "unit"),
    ("a-.-G-I", "command-post"),
    ("a-.-A", "aircraft"),
    ("a-.-S", "vessel"),
    ("a-.-G", "unit"),
)


def cot_kind(cot_type: str) -> str:
    """The kind of a Cursor-on-Target type: ``a-f-G-U-C`` -> ``unit``; ``point-of-interest`` for the rest."""
    for prefix, kind in _COT_KINDS:
        if len(cot_type) >= len(prefix) and all(p in (".", c) for p, c in zip(prefix, cot_type, strict=False)):
            return kind
    return "point-of-interest"


def in_vocabulary(kind: str | None) -> bool:
    """Whether a kind is one of the vocabulary's."""
    return kind in KINDS


def _labelled(labels: Labels) -> dict[str, str]:
    return dict(zip(("nl", "en", "de"), labels, strict=True))


def document() -> dict[str, Any]:
    """The vocabulary as ``GET /api/v1/vocabulary`` serves it."""
    return {
        "languages": ["nl", "en", "de"],
        "kinds": [{"id": kind, "labels": _labelled(labels)} for kind, labels in KINDS.items()],
        "properties": [
            {"id": name, "labels": _labelled(labels), "unit": unit} for name, (labels, unit) in PROPERTIES.items()
        ],
        "categories": [{"id": category, "labels": _labelled(labels)} for category, labels in CATEGORIES.items()],
    }


def document_bytes() -> bytes:
    """``document()`` as JSON, written once."""
    return orjson.dumps(document())
