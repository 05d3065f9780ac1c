#!/usr/bin/env node
// WebSocket subscribers for bench/stream/fanout.py: opens N connections to a stream URL, reads every change
// message, records latency = now - the `bench_sent_ms` the driver put in the report, and checks, per connection,
// that the change seqs arrive each once, in order, with no gap.
//
//   node subscribers.js --url 'ws://127.0.0.1:8000/api/v1/stream?after_seq=42' --token T --connections 1000 \
//        [--after-seq 42] [--capacity 5000] [--local-address 127.0.0.2] [--concurrency 200] [--expect K] \
//        [--duration S] [--full-parse]
//
// Talks JSON lines on stdout, takes commands on stdin (one per line):
//   -> {"event":"ready", ...}            once every connection is open (or has failed)
//   <- status                            -> {"event":"status", "open", "min_last", "received", ...}
//   <- from <epoch ms>                   latency is recorded only for reports sent at or after that time
//   <- stop                              -> {"event":"stats", ...} then exit (also on SIGTERM, or after --duration)
//   -> {"event":"complete", ...}          with --expect K: when every connection has K changes (catch-up timing)
//
// Parsing: by default the change seq and bench_sent_ms are read straight from the frame's bytes (the change head
// is `{"type":"change","seq":N,...` and the timestamp key is unique), which keeps the load generator cheap;
// anything else (snapshot, heartbeat, unexpected shapes) goes through JSON.parse. --full-parse JSON.parses every
// message (slower; a check that the fast path reads the same values).
'use strict';

const WebSocket = require('ws');
const readline = require('readline');
const { performance } = require('perf_hooks');

function parseArgs(argv) {
  const args = {
    url: null, token: null, connections: 1, afterSeq: null, capacity: 0, localAddress: undefined,
    concurrency: 200, expect: 0, duration: 0, fullParse: false, id: 'subs', retries: 3,
  };
  for (let i = 2; i < argv.length; i++) {
    const key = argv[i];
    const next = () => argv[++i];
    switch (key) {
      case '--url': args.url = next(); break;
      case '--token': args.token = next(); break;
      case '--connections': args.connections = parseInt(next(), 10); break;
      case '--after-seq': args.afterSeq = parseInt(next(), 10); break;
      case '--capacity': args.capacity = parseInt(next(), 10); break;
      case '--local-address': args.localAddress = next(); break;
      case '--concurrency': args.concurrency = parseInt(next(), 10); break;
      case '--expect': args.expect = parseInt(next(), 10); break;
      case '--duration': args.duration = parseFloat(next()); break;
      case '--full-parse': args.fullParse = true; break;
      case '--id': args.id = next(); break;
      case '--retries': args.retries = parseInt(next(), 10); break;
      default: throw new Error(`unknown argument ${key}`);
    }
  }
  if (!args.url) throw new Error('--url is required');
  if (args.afterSeq === null) {
    const m = /[?&]after_seq=(\d+)/.exec(args.url);
    args.afterSeq = m ? parseInt(m[1], 10) : 0;
  }
  return args;
}

const args = parseArgs(process.argv);
const nowMs = () => performance.timeOrigin + performance.now();
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

// Latency histogram: 0.1 ms buckets up to 60 s, the last bucket holds everything above.
const BUCKET_MS = 0.1;
const BUCKETS = 600001;
const hist = new Uint32Array(BUCKETS);
let histCount = 0;
let latMax = 0;
let negative = 0;
let measureFrom = 0; // epoch ms; reports sent earlier are warm-up (checked for loss, not timed)
let firstMeasured = 0;
let lastMeasured = 0;
let measuredDeliveries = 0;

function record(sentMs, now) {
  if (!(sentMs >= measureFrom)) return;
  let lat = now - sentMs;
  if (lat < 0) { negative++; lat = 0; }
  if (lat > latMax) latMax = lat;
  let b = Math.floor(lat / BUCKET_MS);
  if (b >= BUCKETS) b = BUCKETS - 1;
  hist[b]++;
  histCount++;
  measuredDeliveries++;
  if (firstMeasured === 0) firstMeasured = now;
  lastMeasured = now;
}

// Per-connection seq bookkeeping.
class Conn {
  constructor(index) {
    this.index = index;
    this.ws = null;
    this.open = false;
    this.last = args.afterSeq; // highest seq seen
    this.unique = 0; // distinct seqs in (afterSeq, afterSeq + capacity]
    this.changes = 0; // change messages received
    this.dup = 0; // a seq seen before
    this.ooo = 0; // a seq lower than the highest seen, not seen before (late)
    this.outside = 0; // seq outside the tracked range
    this.bits = args.capacity > 0 ? new Uint8Array(args.capacity) : null;
    this.closeCode = null;
    this.completedAt = 0;
    this.connectStarted = 0;
    this.openedAt = 0;
  }
}

const conns = [];
const closeCodes = {};
const errors = {};
let opened = 0;
let failed = 0;
let retried = 0;
let snapshots = 0;
let heartbeats = 0;
let others = 0;
let stopping = false;
let readySent = false;
let completeSent = false;
let completed = 0;
let totalChanges = 0;
let parseMismatch = 0;
const startedAt = nowMs();

const PREFIX = Buffer.from('{"type":"change","seq":');
const SENT_KEY = Buffer.from('"bench_sent_ms":');

function readNumber(buf, pos) {
  let end = pos;
  while (end < buf.length) {
    const c = buf[end];
    if ((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 101 || c === 69 || c === 43) end++;
    else break;
  }
  return parseFloat(buf.toString('latin1', pos, end));
}

function onChange(conn, seq, sentMs, now) {
  conn.changes++;
  totalChanges++;
  const idx = seq - args.afterSeq - 1;
  if (conn.bits !== null && idx >= 0 && idx < conn.bits.length) {
    if (conn.bits[idx]) conn.dup++;
    else {
      conn.bits[idx] = 1;
      conn.unique++;
      if (seq < conn.last) conn.ooo++;
    }
  } else if (conn.bits !== null) {
    conn.outside++;
  } else if (seq <= conn.last) {
    conn.ooo++;
  } else {
    conn.unique++;
  }
  if (seq > conn.last) conn.last = seq;
  if (sentMs === sentMs) record(sentMs, now); // not NaN
  if (args.expect > 0 && conn.completedAt === 0 && conn.unique >= args.expect) {
    conn.completedAt = now;
    completed++;
    if (completed === conns.length && !completeSent) {
      completeSent = true;
      let worst = 0;
      let fromOpen = 0;
      for (const c of conns) {
        worst = Math.max(worst, c.completedAt - c.connectStarted);
        fromOpen = Math.max(fromOpen, c.completedAt - c.openedAt);
      }
      emit({ event: 'complete', id: args.id, ms_from_connect: worst, ms_from_open: fromOpen, expect: args.expect });
    }
  }
}

function onMessage(conn, data) {
  const now = nowMs();
  if (!args.fullParse && data.length > PREFIX.length && data.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) === 0) {
    const seq = readNumber(data, PREFIX.length);
    const at = data.indexOf(SENT_KEY, PREFIX.length);
    const sentMs = at >= 0 ? readNumber(data, at + SENT_KEY.length) : NaN;
    onChange(conn, seq, sentMs, now);
    return;
  }
  let msg;
  try {
    msg = JSON.parse(data.toString('utf8'));
  } catch (e) {
    errors.bad_json = (errors.bad_json || 0) + 1;
    return;
  }
  if (msg.type === 'change') {
    let sentMs = NaN;
    const objects = msg.objects || [];
    for (const o of objects) {
      if (o && o.properties && typeof o.properties.bench_sent_ms === 'number') { sentMs = o.properties.bench_sent_ms; break; }
    }
    if (args.fullParse) {
      // cross-check the fast path on the same bytes
      const s2 = data.indexOf(SENT_KEY);
      if (data.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) !== 0 || readNumber(data, PREFIX.length) !== msg.seq ||
          (s2 >= 0 && readNumber(data, s2 + SENT_KEY.length) !== sentMs)) parseMismatch++;
    }
    onChange(conn, msg.seq, sentMs, now);
  } else if (msg.type === 'heartbeat') {
    heartbeats++;
  } else if (msg.type === 'snapshot') {
    snapshots++;
    if (typeof msg.seq === 'number' && msg.seq > conn.last) conn.last = msg.seq;
  } else {
    others++;
  }
}

function connect(conn, attempt) {
  return new Promise((resolve) => {
    conn.connectStarted = conn.connectStarted || nowMs();
    const headers = {};
    if (args.token) headers.Authorization = `Bearer ${args.token}`;
    const ws = new WebSocket(args.url, {
      headers,
      perMessageDeflate: false,
      skipUTF8Validation: true,
      maxPayload: 512 * 1024 * 1024,
      handshakeTimeout: 60000,
      localAddress: args.localAddress,
    });
    conn.ws = ws;
    let settled = false;
    ws.on('open', () => {
      conn.open = true;
      conn.openedAt = nowMs();
      opened++;
      settled = true;
      resolve(true);
    });
    ws.on('message', (data) => onMessage(conn, data));
    ws.on('error', (err) => {
      const key = err.code || err.message.slice(0, 60);
      errors[key] = (errors[key] || 0) + 1;
    });
    ws.on('close', (code) => {
      if (conn.open) {
        conn.open = false;
        opened--;
        if (!stopping) {
          conn.closeCode = code;
          closeCodes[code] = (closeCodes[code] || 0) + 1;
        }
      }
      if (!settled) {
        settled = true;
        if (attempt < args.retries && !stopping) {
          retried++;
          setTimeout(() => connect(conn, attempt + 1).then(resolve), 200 * (attempt + 1));
        } else {
          failed++;
          resolve(false);
        }
      }
    });
  });
}

async function openAll() {
  for (let i = 0; i < args.connections; i++) conns.push(new Conn(i));
  let next = 0;
  const workers = [];
  for (let w = 0; w < Math.min(args.concurrency, args.connections); w++) {
    workers.push((async () => {
      while (next < conns.length && !stopping) {
        const conn = conns[next++];
        await connect(conn, 0);
      }
    })());
  }
  await Promise.all(workers);
  readySent = true;
  emit({ event: 'ready', id: args.id, open: opened, failed, retried, errors, ms: nowMs() - startedAt });
}

function status() {
  let minLast = Infinity;
  for (const c of conns) if (c.open && c.last < minLast) minLast = c.last;
  emit({
    event: 'status', id: args.id, open: opened, min_last: minLast === Infinity ? null : minLast,
    received: totalChanges, close_codes: closeCodes,
  });
}

function percentile(q) {
  if (histCount === 0) return null;
  const target = Math.ceil(q * histCount);
  let seen = 0;
  for (let b = 0; b < BUCKETS; b++) {
    seen += hist[b];
    if (seen >= target) return (b + 1) * BUCKET_MS; // upper edge of the bucket
  }
  return latMax;
}

function stats() {
  let unique = 0, dup = 0, ooo = 0, outside = 0, minLast = Infinity, maxLast = -Infinity;
  for (const c of conns) {
    unique += c.unique; dup += c.dup; ooo += c.ooo; outside += c.outside;
    if (c.last < minLast) minLast = c.last;
    if (c.last > maxLast) maxLast = c.last;
  }
  const sparse = [];
  for (let b = 0; b < BUCKETS; b++) if (hist[b]) sparse.push([b, hist[b]]);
  return {
    event: 'stats', id: args.id, connections: conns.length, open: opened, failed, retried,
    after_seq: args.afterSeq, changes: totalChanges, unique, dup, ooo, outside,
    min_last: minLast === Infinity ? null : minLast, max_last: maxLast === -Infinity ? null : maxLast,
    snapshots, heartbeats, others, close_codes: closeCodes, errors, parse_mismatch: parseMismatch,
    measured: measuredDeliveries, first_measured: firstMeasured, last_measured: lastMeasured,
    negative, lat_max: latMax, p50: percentile(0.5), p99: percentile(0.99), bucket_ms: BUCKET_MS, hist: sparse,
    per_conn_unique: args.expect > 0 || conns.length <= 16 ? conns.map((c) => c.unique) : undefined,
  };
}

let stopped = false;
function stop() {
  if (stopped) return;
  stopped = true;
  stopping = true;
  const s = stats();
  process.stdout.write(JSON.stringify(s) + '\n', () => {
    for (const c of conns) if (c.ws) c.ws.terminate();
    process.exit(0);
  });
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, value] = line.trim().split(/\s+/);
  if (cmd === 'status') status();
  else if (cmd === 'from') measureFrom = parseFloat(value);
  else if (cmd === 'stop') stop();
});
rl.on('close', () => { if (!args.duration) stop(); });

if (args.duration > 0) setTimeout(stop, args.duration * 1000);
openAll();
