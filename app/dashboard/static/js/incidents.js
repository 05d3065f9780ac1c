// The incident list: category, status, GRIP, objects, organisations, last update; exercises marked. Choosing
// an incident makes it the page's incident (text picture, conflicts, time line) and zooms the map to it.

import { fill, h } from "./dom.js";
import { t, time } from "./i18n.js";

export function renderIncidents(element, { incidents, selected, hidden, onChoose, onToggle }) {
  if (incidents.length === 0) {
    fill(element, h("li", { class: "muted", text: t("incidents.none") }));
    return;
  }
  fill(element, incidents.map((incident) => item(incident, incident.id === selected, !hidden.has(incident.id),
    onChoose, onToggle)));
}

function item(incident, selected, shown, onChoose, onToggle) {
  const classes = ["incident", selected && "selected", incident.exercise && "exercise"].filter(Boolean).join(" ");
  return h("li", { class: classes, "data-incident": incident.id },
    h("button", { type: "button", class: "choose", "aria-current": selected ? "true" : null,
      onclick: () => onChoose(incident.id) },
      incident.title ?? incident.id,
      incident.exercise ? h("span", { class: "tag exercise", text: t("incidents.exercise") }) : null),
    h("dl", {},
      field("incident.category", incident.category),
      field("incident.status", incident.status ? t(`status.${incident.status}`) : null),
      field("incident.grip", incident.grip),
      field("incident.objects", incident.object_count),
      field("incident.organisations", (incident.organisations ?? []).join(", ")),
      field("incident.updated", time(incident.updated_at))),
    h("label", {},
      h("input", { type: "checkbox", checked: shown, onchange: (event) => onToggle(incident.id, event.target.checked) }),
      ` ${t("incidents.show")}`));
}

function field(label, value) {
  return [h("dt", { text: t(label) }), h("dd", { class: label.replace(".", "-"), text: value ?? "—" })];
}
