// The map's legend: which colour is which discipline, which shape and letter is which kind (of those shown).

import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { DISCIPLINES, kindLabel, kindStyle } from "./styles.js";

export function renderLegend(element, objects) {
  const kinds = [...new Set(objects.filter((o) => o.geometry).map((o) => o.kind))].sort();
  fill(element,
    h("p", { class: "muted" }, h("strong", { id: "feature-total", text: objects.filter((o) => o.geometry).length }),
      ` ${t("legend.objects")}`),
    h("h3", { text: t("legend.disciplines") }),
    h("ul", {}, DISCIPLINES.map((d) => h("li", {}, h("span", { class: `swatch d-${d}` }), t(`discipline.${d}`)))),
    h("h3", { text: t("legend.kinds") }),
    h("ul", {}, kinds.map((kind) => {
      const style = kindStyle(kind);
      return h("li", {}, h("span", { class: `glyph shape-${style.shape}`, text: style.letter }), kindLabel(kind));
    })));
}
