// The text picture of one incident: each organisation's latest summary, grouped by discipline, and the
// chronology (the report log, newest first), filterable by organisation. Readable without the map.

import { fill, h } from "./dom.js";
import { t, time } from "./i18n.js";
import { organisationName } from "./panel.js";
import { DISCIPLINES } from "./styles.js";

export function renderText(element, { incident, reports, organisations, filter, onFilter }) {
  if (!incident) {
    fill(element, h("p", { class: "muted", text: t("text.choose") }));
    return;
  }
  fill(element,
    h("h2", { text: incident.title ?? incident.id }),
    h("h3", { text: t("text.summaries") }),
    summaries(reports, organisations),
    h("h3", { text: t("text.chronology") }),
    organisationFilter(reports, organisations, filter, onFilter),
    chronology(reports.filter((report) => !filter || report.organisation === filter), organisations));
}

function latestSummaries(reports) {
  const latest = new Map();
  for (const report of reports) {
    if (!report.summary) continue;
    const before = latest.get(report.organisation);
    if (!before || Date.parse(report.observed_at) >= Date.parse(before.observed_at)) latest.set(report.organisation, report);
  }
  return latest;
}

function summaries(reports, organisations) {
  const latest = latestSummaries(reports);
  if (latest.size === 0) return h("p", { class: "muted", text: t("text.none") });
  const byDiscipline = Map.groupBy([...latest.values()], (r) => organisations.get(r.organisation)?.discipline ?? "other");
  return h("div", { class: "summaries" }, DISCIPLINES.filter((d) => byDiscipline.has(d)).map((discipline) =>
    h("section", { class: "discipline", "data-discipline": discipline },
      h("h3", {}, h("span", { class: `swatch d-${discipline}` }), t(`discipline.${discipline}`)),
      byDiscipline.get(discipline).map((report) => h("div", { class: "summary", "data-organisation": report.organisation },
        h("strong", { text: organisationName(report.organisation, organisations) }),
        h("span", { class: "meta", text: ` · ${time(report.observed_at)}` }),
        h("div", { text: report.summary }))))));
}

function organisationFilter(reports, organisations, filter, onFilter) {
  const ids = [...new Set(reports.map((r) => r.organisation))].sort();
  return h("label", {}, `${t("text.filter")}: `,
    h("select", { id: "chronology-filter", onchange: (event) => onFilter(event.target.value || null) },
      h("option", { value: "", text: t("text.all") }),
      ids.map((id) => h("option", { value: id, selected: id === filter, text: organisationName(id, organisations) }))));
}

function chronology(reports, organisations) {
  if (reports.length === 0) return h("p", { class: "muted", text: t("text.none") });
  const newestFirst = [...reports].sort((a, b) => b.seq - a.seq);
  return h("ol", { class: "chronology" }, newestFirst.map((report) => h("li", { "data-seq": report.seq },
    h("div", { class: "meta",
      text: `#${report.seq} · ${time(report.observed_at)} · ${organisationName(report.organisation, organisations)}` }),
    h("div", { text: report.summary ?? t("text.no_summary") }),
    h("div", { class: "meta", text: `${(report.objects ?? []).length} ${t("text.objects")}` }))));
}
