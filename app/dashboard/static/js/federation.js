// The federation view (spec section 9, issue 12): each link of this instance to a peer with its state, the
// last seq the peer acknowledged, the lag in reports and seconds and the last error, read again every few
// seconds while the view is on show, so a broken link is seen, not assumed.
//
// GET /api/v1/federation/links is for admins, and the dashboard signs in with a read token: the view asks for
// an admin token of its own, kept beside the read token in the tab's session storage (never in a URL, forgotten
// at sign-out). A token the service refuses (401, 403) is forgotten at once and the view says why; a read that
// fails otherwise keeps the last table on show, marked as possibly out of date.

import * as api from "./api.js";
import { byId, fill, h } from "./dom.js";
import { lang, t, time } from "./i18n.js";
import * as session from "./session.js";

const REFRESH_MS = 4_000;
const SYMBOL = { up: "●", retrying: "↻", down: "✕" };

export class FederationView {
  constructor() {
    this.links = null;
    this.problem = null;
    this.checkedAt = null;
    this.reads = 0;
    byId("admin-form").addEventListener("submit", (event) => this.submit(event));
    byId("admin-forget").addEventListener("click", () => this.forget());
    this.render();
    setInterval(() => this.refresh(), REFRESH_MS);
  }

  get shown() {
    return !byId("view-federation").hidden && session.token() !== null;
  }

  // Called when a tab is chosen: the view reads at once when it comes on show.
  onShown() {
    if (this.shown) this.refresh();
  }

  submit(event) {
    event.preventDefault();
    const input = byId("admin-token");
    const token = input.value.trim();
    input.value = "";
    if (!token) {
      this.problem = "federation.empty";
      this.render();
      return;
    }
    session.keepAdmin(token);
    Object.assign(this, { links: null, problem: null, checkedAt: null });
    this.render();
    this.refresh();
  }

  forget() {
    session.forgetAdmin();
    this.clear();
    byId("admin-token").focus();
  }

  // At sign-out (the session forgets the admin token with the read token).
  clear() {
    this.reads += 1;
    Object.assign(this, { links: null, problem: null, checkedAt: null });
    this.render();
  }

  async refresh() {
    const token = session.adminToken();
    if (!this.shown || !token) return;
    const read = ++this.reads;
    try {
      const links = await api.federationLinks(token);
      if (read !== this.reads) return;  // a later read, a new token or a sign-out won
      Object.assign(this, { links, problem: null, checkedAt: new Date().toISOString() });
    } catch (error) {
      if (read !== this.reads) return;
      this.problem = problemOf(error);
      if (error.status === 401 || error.status === 403) {
        session.forgetAdmin();
        this.links = null;
      }
    }
    this.render();
  }

  render() {
    const held = session.adminToken() !== null;
    byId("admin-form").hidden = held;
    byId("admin-held").hidden = !held;
    byId("federation-problem").textContent = this.problem ? t(this.problem) : "";
    byId("federation-checked").textContent = this.checkedAt ? `${t("federation.checked")} ${time(this.checkedAt)}` : "";
    fill(byId("federation-links"), this.body(held));
  }

  body(held) {
    if (!held) return h("p", { class: "muted", text: t("federation.need_token") });
    if (this.links === null) return this.problem ? null : h("p", { class: "muted", text: t("federation.loading") });
    if (this.links.length === 0) return h("p", { class: "muted", text: t("federation.none") });
    return linkTable(this.links);
  }
}

function problemOf(error) {
  if (error.status === 401) return "federation.wrong";
  if (error.status === 403) return "federation.not_admin";
  if (error.status === undefined) return "federation.unreachable";
  return "federation.failed";
}

const COLUMNS = ["link", "state", "acked", "lag_reports", "lag_seconds", "counts", "error"];

function linkTable(links) {
  return h("table", { class: "links" },
    h("thead", {}, h("tr", {}, COLUMNS.map((column) => h("th", { scope: "col", text: t(`federation.${column}`) })))),
    h("tbody", {}, links.map(linkRow)));
}

function linkRow(link) {
  return h("tr", { "data-link": link.id, "data-state": link.state },
    h("th", { scope: "row" },
      h("span", { class: "link-id", text: link.id }),
      h("span", { class: "link-url", text: link.url }),
      h("span", { class: "link-scope", text: scope(link) })),
    h("td", {}, h("span", { class: `link-state state-${link.state}` },
      h("span", { "aria-hidden": "true", text: SYMBOL[link.state] ?? "?" }), ` ${t(`federation.state.${link.state}`)}`)),
    h("td", { class: "number link-acked", text: number(link.last_acked_seq) }),
    h("td", { class: "number link-lag-reports", text: number(link.lag_reports) }),
    h("td", { class: "number link-lag-seconds", text: duration(link.lag_seconds) }),
    h("td", { class: "number link-counts", text: `${number(link.forwarded_reports)} / ${number(link.refused_reports)}` }),
    h("td", { class: "link-error" }, lastError(link)));
}

function scope(link) {
  const incidents = link.incidents === "*" ? t("federation.all_incidents") : link.incidents.join(", ");
  return `${incidents} · ${link.visibilities.join(", ")}`;
}

function lastError(link) {
  if (!link.last_error) return h("span", { class: "muted", text: t("federation.no_error") });
  return [h("span", { class: "link-error-text", text: link.last_error }),
    h("span", { class: "link-error-at", text: time(link.last_error_at) })];
}

function number(value) {
  return (value ?? 0).toLocaleString(locale());
}

function duration(seconds) {
  const whole = Math.round(seconds ?? 0);
  if (whole < 60) return `${(seconds ?? 0).toLocaleString(locale(), { maximumFractionDigits: 1 })} s`;
  const [hours, minutes] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60)];
  return hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min ${whole % 60} s`;
}

function locale() {
  return lang() === "nl" ? "nl-NL" : "en-GB";
}
