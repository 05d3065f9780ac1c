// The object panel: every property with who said it and when, conflicts first and prominent, then the object's
// history (each report that mentioned it, newest first).

import { fill, h, showValue } from "./dom.js";
import { t, time } from "./i18n.js";
import { kindLabel } from "./styles.js";

export function renderPanel(title, body, { object, history, organisations }) {
  if (!object) {
    fill(body, h("p", { class: "muted", text: t("panel.gone") }));
    return;
  }
  fill(title, `${kindLabel(object.kind)}: ${object.id}`);
  fill(body,
    (object.conflicts ?? []).map((conflict) => conflictBox(conflict, organisations)),
    properties(object, organisations),
    h("h3", { text: t("panel.history") }),
    h("ol", { class: "history" }, (history ?? []).map((entry) => historyItem(entry, organisations))));
}

export function conflictBox(conflict, organisations, heading = `${t("panel.conflicts")}: ${conflict.property}`) {
  return h("div", { class: "conflict", role: "group", "data-property": conflict.property },
    h("h4", { text: heading }),
    h("ul", {}, conflict.values.map((value) => h("li", { "data-organisation": value.organisation },
      h("strong", { class: "conflict-value", text: showValue(value.value) }),
      ` — ${organisationName(value.organisation, organisations)}, ${time(value.observed_at)}`))));
}

function properties(object, organisations) {
  const rows = [["kind", object.kind], ["geometry", object.geometry?.type ?? null],
    ...Object.entries(object.properties ?? {})];
  return h("table", {},
    h("thead", {}, h("tr", {}, ["panel.property", "panel.value", "panel.by"].map((k) => h("th", { text: t(k) })))),
    h("tbody", {}, rows.map(([name, value]) => {
      const source = object.provenance?.[name];
      return h("tr", { "data-property": name },
        h("th", { scope: "row", text: name }),
        h("td", { class: "value", text: showValue(value) }),
        h("td", { class: "source" }, source ? organisationName(source.organisation, organisations) : "—",
          source ? h("div", { class: "muted", text: time(source.observed_at) }) : null));
    })));
}

function historyItem(entry, organisations) {
  return h("li", {},
    h("div", { class: "muted", text: `#${entry.seq} · ${time(entry.observed_at)} · ${organisationName(entry.organisation, organisations)} · ${entry.report}` }),
    h("code", { text: JSON.stringify(entry.assertion) }));
}

export function organisationName(id, organisations) {
  return organisations.get(id)?.name ?? id;
}
