// The tokens, kept for this browser tab only (sessionStorage): never in a URL, never in localStorage. The read
// token signs the user in; an admin token, given only for the federation view, is kept beside it and forgotten
// with it.

const KEY = "netcop.token";
const ADMIN_KEY = "netcop.admin_token";

export function token() {
  return sessionStorage.getItem(KEY);
}

export function keep(value) {
  sessionStorage.setItem(KEY, value);
}

export function forget() {
  sessionStorage.removeItem(KEY);
  forgetAdmin();
}

export function adminToken() {
  return sessionStorage.getItem(ADMIN_KEY);
}

export function keepAdmin(value) {
  sessionStorage.setItem(ADMIN_KEY, value);
}

export function forgetAdmin() {
  sessionStorage.removeItem(ADMIN_KEY);
}
