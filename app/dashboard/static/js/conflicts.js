// The conflicts view: every open conflict of the incidents on show, with each organisation's value; the first
// thing an information coordinator checks. Choosing one opens its object.

import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { conflictBox } from "./panel.js";
import { keyOf } from "./picture.js";
import { kindLabel, objectLabel } from "./styles.js";

export function conflicted(objects) {
  return objects.filter((object) => object.conflicts?.length > 0);
}

export function renderConflicts(element, { objects, organisations, onChoose }) {
  const found = conflicted(objects);
  if (found.length === 0) {
    fill(element, h("p", { class: "muted", text: t("conflicts.none") }));
    return;
  }
  fill(element, h("h2", { text: t("conflicts.title") }), found.map((object) => h("section", { class: "conflicted-object" },
    h("h3", {}, h("button", { type: "button", class: "link", onclick: () => onChoose(keyOf(object)) },
      `${kindLabel(object.kind)}: ${objectLabel(object)} (${object.incident})`)),
    object.conflicts.map((conflict) => conflictBox(conflict, organisations)))));
}
