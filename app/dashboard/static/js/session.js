// The read token, kept for this browser tab only (sessionStorage): never in a URL, never in localStorage.

const KEY = "netcop.token";

export function token() {
  return sessionStorage.getItem(KEY);
}

export function keep(value) {
  sessionStorage.setItem(KEY, value);
}

export function forget() {
  sessionStorage.removeItem(KEY);
}
