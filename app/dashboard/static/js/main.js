// The dashboard: what the page holds (state), where it comes from (REST reads and the stream) and which view
// shows it. Every module it calls renders one part; this one decides what is on show: the live picture, or the
// chosen incident as known at a past moment.

import * as api from "./api.js";
import { renderConflicts, conflicted } from "./conflicts.js";
import { byId, throttle } from "./dom.js";
import { FederationView } from "./federation.js";
import * as i18n from "./i18n.js";
import { renderIncidents } from "./incidents.js";
import { renderLegend } from "./legend.js";
import { ObjectMap } from "./map.js";
import { renderPanel } from "./panel.js";
import { Picture } from "./picture.js";
import { pastIncident } from "./past.js";
import * as session from "./session.js";
import { listen, showSignin } from "./signin.js";
import { State, Stream } from "./stream.js";
import { renderText } from "./textpicture.js";
import { Timeline } from "./timeline.js";
import { setupTabs } from "./tabs.js";

const INCIDENT_REFRESH_MS = 30_000;

// A background read that failed (the service away for a moment) is retried by the next change or refresh; the
// connection state already tells the user, and a 401 has signed them out.
const retriedLater = () => {};

const state = {
  mode: "real", organisations: new Map(), incidents: [], live: new Picture(), reports: new Map(),
  selected: null, hidden: new Set(), known: new Set(), past: null, panel: null, filter: null,
  stream: null, map: null, timeline: null, moments: 0, zoomed: false, federation: null,
};

function boot() {
  i18n.apply();
  for (const button of document.querySelectorAll(".lang-switch")) button.addEventListener("click", switchLanguage);
  listen(() => start().catch(retriedLater));
  api.whenUnauthorized(signOut);
  byId("signout").addEventListener("click", () => signOut(null));
  byId("panel-close").addEventListener("click", closePanel);
  byId("mode-real").addEventListener("click", () => setMode("real"));
  byId("mode-exercise").addEventListener("click", () => setMode("exercise"));
  state.federation = new FederationView();
  setupTabs(() => {
    state.map?.map.invalidateSize();
    state.federation.onShown();
  });
  state.timeline = new Timeline({ onMoment: (report) => showMoment(report).catch(retriedLater) });
  setInterval(() => { if (state.stream) refreshIncidents().catch(retriedLater); }, INCIDENT_REFRESH_MS);
  if (session.token()) start().catch(retriedLater);
  else showSignin(null);
}

async function start() {
  byId("app").hidden = false;
  state.organisations = new Map((await api.organisations()).map((o) => [o.id, o]));
  if (!state.map) {
    const tileUrl = document.querySelector('meta[name="netcop-tile-url"]').content;
    state.map = new ObjectMap(byId("map"), { tileUrl, organisations: state.organisations, onChoose: openPanel });
  }
  state.map.organisations = state.organisations;
  await refreshIncidents();
  connect();
}

function connect() {
  state.stream?.stop();
  state.stream = new Stream({
    token: session.token(), exercise: state.mode === "exercise",
    onSnapshot, onChange, onState: showConnection,
  });
  state.stream.start();
}

function signOut(reason) {
  state.stream?.stop();
  state.stream = null;
  session.forget();
  state.live = new Picture();
  state.reports.clear();
  state.past = null;
  state.map?.show([]);
  state.federation.clear();
  closePanel();
  showSignin(reason);
}

function showConnection(connection, reason) {
  const element = byId("connection");
  element.className = `connection ${connection}`;
  element.dataset.state = connection;
  element.textContent = i18n.t(`connection.${connection}`);
  if (connection === State.REFUSED) signOut(reason);
}

// --- the stream ------------------------------------------------------------------------------------------

function onSnapshot(message) {
  state.live = new Picture(message.objects, message.seq);
  refreshIncidents().catch(retriedLater);
  if (state.past) return;
  render();
  if (!state.zoomed) zoomToSelected();
}

function onChange(message) {
  state.live.apply(message.objects, message.seq);
  if (!state.past && !state.hidden.has(message.incident)) {
    state.map.update(message.objects);
    renderSoon();
  }
  if (state.panel?.startsWith(`${message.incident}/`)) refreshPanelSoon();
  refreshIncidentsSoon();
}

// --- REST reads ------------------------------------------------------------------------------------------

async function refreshIncidents() {
  const all = await api.incidents();
  state.incidents = all.filter((incident) => incident.exercise === (state.mode === "exercise"));
  for (const incident of state.incidents) {
    if (state.known.has(incident.id)) continue;
    state.known.add(incident.id);
    if (incident.status === "closed" && !incident.exercise) state.hidden.add(incident.id);
  }
  if (!state.incidents.some((incident) => incident.id === state.selected)) {
    state.selected = firstActive(state.incidents)?.id ?? null;
    state.filter = null;
  }
  if (state.selected) await refreshReports(state.selected);
  if (!state.past) renderSide();
}

function firstActive(incidents) {
  const byUpdate = [...incidents].sort((a, b) => (b.updated_at ?? "").localeCompare(a.updated_at ?? ""));
  return byUpdate.find((incident) => incident.status !== "closed") ?? byUpdate[0];
}

async function refreshReports(incident) {
  const known = state.reports.get(incident) ?? [];
  const after = known.length ? known[known.length - 1].seq : 0;
  const added = await api.reportsAfter(incident, after);
  if (added.length === 0 && state.reports.has(incident)) return;
  state.reports.set(incident, [...known, ...added]);
  if (incident === state.selected) state.timeline.setReports(state.reports.get(incident));
}

const refreshIncidentsSoon = throttle(() => refreshIncidents().catch(retriedLater), 300);

// --- what is on show ---------------------------------------------------------------------------------------

function view() {
  const reports = state.reports.get(state.selected) ?? [];
  if (state.past) {
    const seq = state.past.report.seq;
    return { incidents: [state.past.incident], objects: [...state.past.picture.objects.values()],
      reports: reports.filter((report) => report.seq <= seq), picture: state.past.picture };
  }
  const shown = new Set(state.incidents.map((i) => i.id).filter((id) => !state.hidden.has(id)));
  return { incidents: state.incidents, objects: state.live.of(shown), reports, picture: state.live };
}

function render() {
  const current = view();
  state.map.show(current.objects);
  renderSide(current);
}

function renderSide(current = view()) {
  renderIncidents(byId("incidents"), {
    incidents: current.incidents, selected: state.selected, hidden: state.hidden, onChoose: choose, onToggle: toggle,
  });
  renderLegend(byId("legend"), current.objects);
  const selectedObjects = current.objects.filter((object) => object.incident === state.selected);
  renderConflicts(byId("conflicts"), { objects: selectedObjects, organisations: state.organisations, onChoose: openPanel });
  const count = conflicted(selectedObjects).length;
  byId("conflict-count").textContent = String(count);
  byId("conflict-count").classList.toggle("alert", count > 0);
  const incident = current.incidents.find((i) => i.id === state.selected);
  renderText(byId("text-picture"), {
    incident, reports: current.reports, organisations: state.organisations, filter: state.filter,
    onFilter: (organisation) => { state.filter = organisation; renderSide(); },
  });
  const note = byId("as-of-note");
  note.hidden = !state.past;
  if (state.past) note.textContent = `${i18n.t("time.as_of")} ${i18n.time(state.past.report.received_at)}`;
}

const renderSoon = throttle(() => { if (!state.past) renderSide(); }, 200);

async function showMoment(report) {
  const moment = ++state.moments;
  if (report === null) {
    state.past = null;
  } else {
    const answer = await api.picture(state.selected, report.received_at);
    if (moment !== state.moments) return;  // a later move of the slider won
    const picture = new Picture(answer.objects, answer.seq);
    const reports = (state.reports.get(state.selected) ?? []).filter((r) => r.seq <= report.seq);
    const live = state.incidents.find((i) => i.id === state.selected);
    state.past = { report, picture, incident: pastIncident(live, reports, picture) };
  }
  render();
  refreshPanel().catch(retriedLater);
}

function choose(incident) {
  if (state.past) state.timeline.live();
  const wasHidden = state.hidden.delete(incident);
  state.selected = incident;
  state.filter = null;
  state.timeline.setReports(state.reports.get(incident) ?? []);
  if (wasHidden) render();
  else renderSide();
  state.map.zoomTo(state.live.of(new Set([incident])));
  refreshReports(incident).then(() => renderSide(), retriedLater);
}

function toggle(incident, shown) {
  if (shown) state.hidden.delete(incident);
  else state.hidden.add(incident);
  render();
}

function setMode(mode) {
  if (mode === state.mode) return;
  state.mode = mode;
  byId("mode-real").setAttribute("aria-pressed", String(mode === "real"));
  byId("mode-exercise").setAttribute("aria-pressed", String(mode === "exercise"));
  if (state.past) state.timeline.live();
  Object.assign(state, { live: new Picture(), selected: null, past: null });
  closePanel();
  refreshIncidents().then(() => { render(); zoomToSelected(); }, retriedLater);
  connect();
}

function zoomToSelected() {
  if (!state.selected) return;
  state.zoomed = true;
  state.map.zoomTo(state.live.of(new Set([state.selected])));
}

function switchLanguage() {
  i18n.toggle();
  state.timeline.label();
  state.federation.render();
  if (state.stream) {
    showConnection(state.stream.state);
    render();
    refreshPanel().catch(retriedLater);
  }
}

// --- the object panel --------------------------------------------------------------------------------------

function openPanel(key) {
  state.panel = key;
  byId("panel").hidden = false;
  byId("panel-close").focus();
  state.map.map.invalidateSize();
  refreshPanel().catch(retriedLater);
}

function closePanel() {
  state.panel = null;
  byId("panel").hidden = true;
  state.map?.map.invalidateSize();
}

async function refreshPanel() {
  if (!state.panel) return;
  const key = state.panel;
  const picture = view().picture;
  const object = picture.get(key);
  let history = [];
  if (object) {
    const found = await api.objectWithHistory(object.incident, object.id);
    history = state.past ? found.history.filter((entry) => entry.seq <= state.past.report.seq) : found.history;
  }
  if (key !== state.panel) return;
  renderPanel(byId("panel-title"), byId("panel-body"), { object, history, organisations: state.organisations });
}

const refreshPanelSoon = throttle(() => refreshPanel().catch(retriedLater), 200);

boot();
