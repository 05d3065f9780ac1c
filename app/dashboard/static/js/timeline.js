// The time line of the chosen incident: one position per report in its log, the last one being "live". A
// position stands for the picture as known right after that report arrived (as_of = its received_at): the
// picture changes only when a report arrives, so these positions are every distinct past moment. Replay plays
// the positions forward, waiting between two reports their observed time apart divided by the speed.

import { byId } from "./dom.js";
import { t, time } from "./i18n.js";

const MIN_STEP_MS = 150;
const MAX_STEP_MS = 2000;
const SETTLE_MS = 120;

export class Timeline {
  constructor({ onMoment }) {
    this.onMoment = onMoment;  // called with a report (a past moment) or null (live)
    this.reports = [];
    this.position = null;  // null: live
    this.player = null;
    this.range = byId("timeline-range");
    this.range.addEventListener("input", () => this.dragged());
    byId("timeline-live").addEventListener("click", () => this.live());
    byId("timeline-play").addEventListener("click", () => (this.player ? this.pause() : this.play()));
  }

  setReports(reports) {
    this.reports = reports;
    this.range.max = String(Math.max(reports.length - 1, 0));
    this.range.disabled = reports.length === 0;
    if (this.position === null) this.range.value = this.range.max;
    this.label();
  }

  dragged() {
    this.pause();
    clearTimeout(this.settle);
    this.settle = setTimeout(() => this.go(Number(this.range.value)), SETTLE_MS);
  }

  go(position) {
    if (position >= this.reports.length - 1 && !this.player) return this.live();
    this.position = position;
    this.range.value = String(position);
    this.label();
    this.onMoment(this.reports[position]);
  }

  live() {
    this.pause();
    this.position = null;
    this.range.value = this.range.max;
    this.label();
    this.onMoment(null);
  }

  play() {
    if (this.reports.length === 0) return;
    const start = this.position === null ? 0 : this.position;
    this.player = true;
    byId("timeline-play").textContent = t("time.pause");
    this.go(start);
    this.next();
  }

  next() {
    if (!this.player) return;
    if (this.position >= this.reports.length - 1) return this.live();
    const speed = Number(byId("timeline-speed").value);
    const gap = Date.parse(this.reports[this.position + 1].observed_at) - Date.parse(this.reports[this.position].observed_at);
    const wait = Math.min(MAX_STEP_MS, Math.max(MIN_STEP_MS, gap / speed));
    this.player = setTimeout(() => { this.go(this.position + 1); this.next(); }, wait);
  }

  pause() {
    if (this.player) clearTimeout(this.player);
    this.player = null;
    byId("timeline-play").textContent = t("time.play");
  }

  label() {
    const output = byId("timeline-moment");
    output.closest(".timeline").classList.toggle("past", this.position !== null);
    if (this.position === null) {
      output.textContent = t("time.now");
      return;
    }
    const report = this.reports[this.position];
    output.textContent = `${t("time.as_of")} ${time(report.received_at)} (${t("time.after")} #${report.seq}, `
      + `${report.organisation}, ${t("time.observed")} ${time(report.observed_at)})`;
  }
}
