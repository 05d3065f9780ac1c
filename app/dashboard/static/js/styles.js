// How objects look: the kind gives the marker's shape and letter (and an area's line pattern), the discipline
// of the organisation that last set the geometry gives its colour. Colours live in app.css (--police, ...).

import { lang } from "./i18n.js";

export const DISCIPLINES = [
  "police", "fire", "medical", "population-care", "water", "defence", "infrastructure", "national", "other",
];

// kind: [shape, letter, Dutch, English, dash pattern of a line or area]
const KINDS = {
  "roadblock": ["square", "X", "Wegafzetting", "Roadblock"],
  "traffic-measure": ["square", "V", "Verkeersmaatregel", "Traffic measure", "8 6"],
  "evacuation-area": ["square", "E", "Evacuatiegebied", "Evacuation area", "6 4"],
  "flooded-area": ["square", "≈", "Overstroomd gebied", "Flooded area"],
  "hazard-zone": ["diamond", "!", "Gevarenzone", "Hazard zone", "4 4"],
  "hazmat-source": ["diamond", "☢", "Bron gevaarlijke stof", "Hazmat source"],
  "gas-measurement": ["circle", "M", "Gasmeting", "Gas measurement"],
  "dike-breach": ["diamond", "D", "Dijkdoorbraak", "Dike breach"],
  "water-gauge": ["circle", "W", "Waterstandmeter", "Water gauge"],
  "pump": ["circle", "P", "Pomp", "Pump"],
  "rescue-boat": ["circle", "B", "Reddingsboot", "Rescue boat"],
  "police-unit": ["circle", "U", "Politie-eenheid", "Police unit"],
  "shelter": ["square", "O", "Opvanglocatie", "Shelter"],
  "hospital": ["square", "H", "Ziekenhuis", "Hospital"],
  "ambulance-post": ["circle", "A", "Ambulancepost", "Ambulance post"],
  "casualty-clearing-station": ["square", "G", "Gewondennest", "Casualty clearing station"],
  "casualty-count": ["diamond", "#", "Slachtoffertelling", "Casualty count"],
  "bridge": ["square", "=", "Brug", "Bridge"],
  "shipping-restriction": ["diamond", "S", "Scheepvaartbeperking", "Shipping restriction", "2 6"],
  "decision": ["circle", "!", "Besluit", "Decision"],
  "meeting": ["circle", "R", "Overleg", "Meeting"],
  "assistance": ["circle", "+", "Bijstand", "Assistance"],
  "investigation": ["circle", "?", "Onderzoek", "Investigation"],
  "public-information": ["circle", "i", "Publieksinformatie", "Public information"],
  "national-coordination": ["circle", "N", "Nationale coördinatie", "National coordination"],
  "decontamination": ["square", "+", "Ontsmetting", "Decontamination"],
};

export function kindStyle(kind) {
  const known = KINDS[kind];
  if (known) return { shape: known[0], letter: known[1], dash: known[4] ?? null };
  return { shape: "circle", letter: (kind ?? "?").slice(0, 1).toUpperCase(), dash: null };
}

export function kindLabel(kind) {
  const known = KINDS[kind];
  if (!known) return (kind ?? "?").replaceAll("-", " ");
  return lang() === "nl" ? known[2] : known[3];
}

export function disciplineOf(object, organisations) {
  const setter = object.provenance?.geometry?.organisation;
  const discipline = organisations.get(setter)?.discipline;
  return DISCIPLINES.includes(discipline) ? discipline : "other";
}

export function colour(discipline) {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${discipline}`).trim() || "#475569";
}

export function objectLabel(object) {
  const name = object.properties?.name ?? object.properties?.label ?? object.properties?.title;
  return name ? String(name) : object.id;
}
