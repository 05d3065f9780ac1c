-- wrk script: POST /api/v1/reports with a unique report per request, shaped like the spec's example
-- (incident_info, a summary, 2 objects with a Point geometry, a fixed past observed_at).
--
-- Report ids are "<run>-t<thread>-<counter, zero-padded>", so they never repeat within a run and, within one
-- thread, every report sorts after the previous one: with a fixed observed_at each report wins the merge and
-- really changes its objects (the full re-render path, not the cheap "nothing changed" one).
-- Object ids cycle through a pool per thread (NETCOP_BENCH_OBJECT_POOL, default 1000), so the load both creates
-- and updates objects.
--
-- Environment: NETCOP_BENCH_TOKEN (report token), NETCOP_BENCH_RUN (a label unique to this run),
-- NETCOP_BENCH_INCIDENT, NETCOP_BENCH_OBJECT_POOL.

local token = os.getenv("NETCOP_BENCH_TOKEN") or "none"
local run = os.getenv("NETCOP_BENCH_RUN") or "run"
local incident = os.getenv("NETCOP_BENCH_INCIDENT") or "bench-ingest"
local pool = tonumber(os.getenv("NETCOP_BENCH_OBJECT_POOL") or "1000")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

local next_thread = 0

function setup(thread)
   thread:set("tid", next_thread)
   next_thread = next_thread + 1
end

local counter = 0

local template = '{"id":"%s-t%d-%010d","incident":"%s",'
   .. '"incident_info":{"title":"Benchmark flood","category":"flood","status":"active","grip":3},'
   .. '"observed_at":"2026-01-15T14:03:00+01:00",'
   .. '"summary":"Roadblock placed on N3, evacuation of Wielwijk started",'
   .. '"objects":['
   .. '{"id":"%s-t%d-roadblock-%d","kind":"roadblock",'
   .. '"geometry":{"type":"Point","coordinates":[4.6731,51.8012]},'
   .. '"properties":{"status":"active","note":"both directions","seen":%d}},'
   .. '{"id":"%s-t%d-unit-%d","kind":"unit",'
   .. '"geometry":{"type":"Point","coordinates":[4.6612,51.8055]},'
   .. '"properties":{"callsign":"ZHZ-%d","crew":4}}'
   .. '],"visibility":"partners"}'

function request()
   counter = counter + 1
   local slot = counter % pool
   local body = string.format(template, run, tid, counter, incident,
                              run, tid, slot, counter,
                              run, tid, slot, slot)
   return wrk.format(nil, nil, nil, body)
end
