// An incident as it was known at a past moment, from its report log up to then: its fields merged by the
// contract's rule (latest observed_at wins, ties by organisation then report id), its organisations and objects.

export function pastIncident(live, reports, picture) {
  const fields = {};
  const won = {};
  for (const report of reports) {
    const rank = [Date.parse(report.observed_at), report.organisation, report.id];
    for (const [name, value] of Object.entries(report.incident_info ?? {})) {
      if (!won[name] || later(rank, won[name])) {
        won[name] = rank;
        fields[name] = value;
      }
    }
  }
  const last = reports[reports.length - 1];
  return {
    id: live?.id ?? last?.incident, exercise: live?.exercise ?? false, ...fields,
    object_count: picture.objects.size,
    organisations: [...new Set(reports.map((report) => report.organisation))].sort(),
    updated_at: last?.received_at,
  };
}

function later(a, b) {
  for (let i = 0; i < a.length; i += 1) {
    if (a[i] !== b[i]) return a[i] > b[i];
  }
  return false;
}
