// The public REST API (shared/spec/api-v1.md sections 6 and 9), with the tab's token. A 401 to the read token
// signs the user out.

import * as session from "./session.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
  }
}

let onUnauthorized = () => {};

export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

async function get(path, parameters = {}, token = session.token()) {
  try {
    return await read(path, parameters, token);
  } catch (error) {
    if (error.status === 401) onUnauthorized("signin.revoked");
    throw error;
  }
}

// A read with the given token that signs no one out: a refused admin token is the federation view's business.
async function read(path, parameters, token) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null) url.searchParams.set(name, value);
  }
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
  if (response.ok) return response.json();
  const body = await response.json().catch(() => null);
  throw new ApiError(response.status, body);
}

export function check(token) {
  return get("/api/v1/incidents", {}, token);
}

export async function incidents() {
  return (await get("/api/v1/incidents")).incidents;
}

export async function organisations() {
  return (await get("/api/v1/organisations")).organisations;
}

export async function picture(incident, asOf) {
  return get(`/api/v1/incidents/${encodeURIComponent(incident)}/picture`, { as_of: asOf });
}

export async function objectWithHistory(incident, objectId) {
  const path = `/api/v1/incidents/${encodeURIComponent(incident)}/objects/${encodeURIComponent(objectId)}`;
  return get(path, { history: "true" });
}

export async function reportsAfter(incident, afterSeq) {
  const reports = [];
  let cursor = afterSeq;
  for (;;) {
    const page = await get("/api/v1/reports", { incident, after_seq: cursor, limit: 1000 });
    reports.push(...page.reports);
    if (page.reports.length < 1000) return reports;
    cursor = page.last_seq;
  }
}

export async function federationLinks(adminToken) {
  return (await read("/api/v1/federation/links", {}, adminToken)).links;
}
