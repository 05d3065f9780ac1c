// Signing in and out: the token is checked with one read, then kept in the tab's session storage.

import { byId } from "./dom.js";
import { t } from "./i18n.js";
import * as session from "./session.js";

export function showSignin(reason) {
  byId("app").hidden = true;
  byId("signin").hidden = false;
  byId("signin-error").textContent = reason ? t(reason) : "";
  byId("token").value = "";
  byId("token").focus();
}

export function listen(onSignedIn) {
  byId("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = byId("token").value.trim();
    const problem = await check(token);
    if (problem) {
      byId("signin-error").textContent = t(problem);
      return;
    }
    session.keep(token);
    byId("signin").hidden = true;
    onSignedIn();
  });
}

async function check(token) {
  try {
    const response = await fetch("/api/v1/incidents", { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
    if (response.ok) return null;
    return response.status === 403 ? "signin.no_read" : "signin.wrong";
  } catch {
    return "signin.unreachable";
  }
}
