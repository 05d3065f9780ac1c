// Dutch and English labels. Static elements carry data-i18n (text) or data-i18n-label (aria-label); the
// rest of the page asks t(). The chosen language is not a secret: it is remembered in localStorage.

const STRINGS = {
  nl: {
    "skip": "Naar het beeld",
    "lang.switch": "English",
    "signin.intro": "Meld u aan met een leestoken van uw organisatie.",
    "signin.token": "Leestoken",
    "signin.submit": "Aanmelden",
    "signin.hint": "Het token blijft alleen in dit tabblad bewaard.",
    "signin.wrong": "Dit token is onjuist of ingetrokken.",
    "signin.revoked": "Het token is onjuist of ingetrokken; u bent afgemeld.",
    "signin.no_read": "Dit token heeft geen leesrecht.",
    "signin.unreachable": "De dienst is niet bereikbaar.",
    "signout": "Afmelden",
    "mode.label": "Soort incidenten",
    "mode.real": "Werkelijk",
    "mode.exercise": "Oefening",
    "connection.connecting": "Verbinden…",
    "connection.live": "Live",
    "connection.reconnecting": "Verbinding verbroken, opnieuw verbinden…",
    "connection.refused": "Geweigerd",
    "connection.stopped": "Gestopt",
    "incidents.title": "Incidenten",
    "incidents.none": "Geen incidenten.",
    "incidents.exercise": "OEFENING",
    "incidents.show": "Op kaart",
    "incident.category": "Soort",
    "incident.status": "Status",
    "incident.grip": "GRIP",
    "incident.objects": "Objecten",
    "incident.organisations": "Organisaties",
    "incident.updated": "Bijgewerkt",
    "status.active": "actief", "status.scaled-down": "afgeschaald", "status.closed": "gesloten",
    "tab.map": "Kaart",
    "tab.text": "Tekstbeeld",
    "tab.conflicts": "Conflicten",
    "legend.disciplines": "Discipline (laatste locatie door)",
    "legend.kinds": "Soorten",
    "legend.objects": "objecten op de kaart",
    "panel.close": "Sluiten",
    "panel.property": "Eigenschap",
    "panel.value": "Waarde",
    "panel.by": "Door, waargenomen",
    "panel.conflicts": "Conflict",
    "panel.history": "Geschiedenis",
    "panel.gone": "Dit object bestaat niet (meer) op dit moment.",
    "text.summaries": "Laatste samenvatting per organisatie",
    "text.chronology": "Chronologie",
    "text.filter": "Organisatie",
    "text.all": "Alle organisaties",
    "text.none": "Nog geen meldingen.",
    "text.no_summary": "(geen samenvatting)",
    "text.objects": "objecten",
    "text.choose": "Kies een incident.",
    "conflicts.none": "Geen open conflicten.",
    "conflicts.title": "Open conflicten",
    "time.label": "Tijd",
    "time.live": "Live",
    "time.play": "Afspelen",
    "time.pause": "Pauze",
    "time.speed": "Snelheid",
    "time.now": "Live: het beeld van nu",
    "time.as_of": "Beeld zoals bekend om",
    "time.after": "na melding",
    "time.observed": "waargenomen",
    "discipline.police": "Politie", "discipline.fire": "Brandweer", "discipline.medical": "Geneeskundig (GHOR)",
    "discipline.population-care": "Bevolkingszorg", "discipline.water": "Water", "discipline.defence": "Defensie",
    "discipline.infrastructure": "Infrastructuur", "discipline.national": "Nationaal", "discipline.other": "Overig",
  },
  en: {
    "skip": "Skip to the picture",
    "lang.switch": "Nederlands",
    "signin.intro": "Sign in with a read token of your organisation.",
    "signin.token": "Read token",
    "signin.submit": "Sign in",
    "signin.hint": "The token is kept in this browser tab only.",
    "signin.wrong": "This token is wrong or revoked.",
    "signin.revoked": "The token is wrong or revoked; you were signed out.",
    "signin.no_read": "This token has no read role.",
    "signin.unreachable": "The service cannot be reached.",
    "signout": "Sign out",
    "mode.label": "Kind of incidents",
    "mode.real": "Real",
    "mode.exercise": "Exercise",
    "connection.connecting": "Connecting…",
    "connection.live": "Live",
    "connection.reconnecting": "Connection lost, reconnecting…",
    "connection.refused": "Refused",
    "connection.stopped": "Stopped",
    "incidents.title": "Incidents",
    "incidents.none": "No incidents.",
    "incidents.exercise": "EXERCISE",
    "incidents.show": "On map",
    "incident.category": "Category",
    "incident.status": "Status",
    "incident.grip": "GRIP",
    "incident.objects": "Objects",
    "incident.organisations": "Organisations",
    "incident.updated": "Updated",
    "status.active": "active", "status.scaled-down": "scaled down", "status.closed": "closed",
    "tab.map": "Map",
    "tab.text": "Text picture",
    "tab.conflicts": "Conflicts",
    "legend.disciplines": "Discipline (location last set by)",
    "legend.kinds": "Kinds",
    "legend.objects": "objects on the map",
    "panel.close": "Close",
    "panel.property": "Property",
    "panel.value": "Value",
    "panel.by": "By, observed",
    "panel.conflicts": "Conflict",
    "panel.history": "History",
    "panel.gone": "This object does not exist (any more) at this moment.",
    "text.summaries": "Latest summary of each organisation",
    "text.chronology": "Chronology",
    "text.filter": "Organisation",
    "text.all": "All organisations",
    "text.none": "No reports yet.",
    "text.no_summary": "(no summary)",
    "text.objects": "objects",
    "text.choose": "Choose an incident.",
    "conflicts.none": "No open conflicts.",
    "conflicts.title": "Open conflicts",
    "time.label": "Time",
    "time.live": "Live",
    "time.play": "Play",
    "time.pause": "Pause",
    "time.speed": "Speed",
    "time.now": "Live: the picture now",
    "time.as_of": "Picture as known at",
    "time.after": "after report",
    "time.observed": "observed",
    "discipline.police": "Police", "discipline.fire": "Fire", "discipline.medical": "Medical (GHOR)",
    "discipline.population-care": "Population care", "discipline.water": "Water", "discipline.defence": "Defence",
    "discipline.infrastructure": "Infrastructure", "discipline.national": "National", "discipline.other": "Other",
  },
};

const KEY = "netcop.lang";
let language = localStorage.getItem(KEY) ?? (navigator.language?.startsWith("nl") ? "nl" : "en");

export function lang() {
  return language;
}

export function t(key) {
  return STRINGS[language][key] ?? STRINGS.en[key] ?? key;
}

export function toggle() {
  language = language === "nl" ? "en" : "nl";
  localStorage.setItem(KEY, language);
  apply();
}

export function apply() {
  document.documentElement.lang = language;
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of document.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
}

export function time(iso) {
  if (!iso) return "—";
  const locale = language === "nl" ? "nl-NL" : "en-GB";
  return new Date(iso).toLocaleString(locale, { dateStyle: "short", timeStyle: "medium" });
}
