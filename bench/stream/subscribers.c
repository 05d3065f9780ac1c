/* WebSocket subscribers in C (epoll, one thread): the same command line, stdin commands and JSON-lines output as
 * subscribers.js, for a load generator that takes as little of the machine's CPU as possible. fanout.py builds it
 * with `gcc -O2` into its log directory when asked (`--client c`); see subscribers.js for the protocol.
 *
 * Reads each change's seq and bench_sent_ms straight from the frame bytes (the change head is
 * `{"type":"change","seq":N,...` and the timestamp key is unique), records latency = now - bench_sent_ms in a
 * 0.1 ms histogram, and checks per connection that seqs arrive once each, in order, with no gap (a bitset).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUCKETS 600001
#define BUCKET_MS 0.1
#define READ_BUF (256 * 1024)

enum { S_IDLE, S_CONNECTING, S_HANDSHAKE, S_OPEN, S_CLOSED, S_FAILED };

typedef struct {
  int fd, state, attempt, index;
  long long last;
  long long unique, changes, dup, ooo, outside;
  uint8_t *bits;
  char *buf; /* partial frame / handshake bytes */
  size_t len, cap;
  char *msg; /* fragmented message being assembled */
  size_t msg_len, msg_cap;
  int close_code;
  double connect_started, opened_at, completed_at;
  double retry_at;
} conn_t;

static struct {
  char host[256], path[4096], token[512], local[64], id[64];
  int port, connections, concurrency, retries;
  long long after_seq, capacity, expect;
  double duration;
} A = {.port = 80, .connections = 1, .concurrency = 200, .retries = 3, .id = "subs"};

static conn_t *conns;
static int epfd;
static uint32_t *hist;
static long long hist_count, negative, measured;
static double lat_max, measure_from, first_measured, last_measured;
static long long total_changes, snapshots, heartbeats, others, bad_frames;
static int opened, failed, retried, in_progress, next_conn, ready_sent, complete_sent, completed;
static volatile sig_atomic_t stop_flag;
static int waiting_retry; /* connections waiting to try again */
static int close_codes[5000];
static long long err_connect, err_handshake, err_reset;
static double started_at;
static char stdin_buf[4096];
static size_t stdin_len;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void record(double sent, double now) {
  if (!(sent >= measure_from)) return;
  double lat = now - sent;
  if (lat < 0) { negative++; lat = 0; }
  if (lat > lat_max) lat_max = lat;
  long b = (long)(lat / BUCKET_MS);
  if (b >= BUCKETS) b = BUCKETS - 1;
  hist[b]++;
  hist_count++;
  measured++;
  if (first_measured == 0) first_measured = now;
  last_measured = now;
}

static double percentile(double q) {
  if (!hist_count) return -1;
  long long target = (long long)ceil(q * hist_count), seen = 0;
  for (long b = 0; b < BUCKETS; b++) {
    seen += hist[b];
    if (seen >= target) return (b + 1) * BUCKET_MS;
  }
  return lat_max;
}

static void emit_ready(void) {
  printf("{\"event\":\"ready\",\"id\":\"%s\",\"open\":%d,\"failed\":%d,\"retried\":%d,\"errors\":{\"connect\":%lld,"
         "\"handshake\":%lld,\"reset\":%lld},\"ms\":%.1f}\n",
         A.id, opened, failed, retried, err_connect, err_handshake, err_reset, now_ms() - started_at);
  fflush(stdout);
}

static void print_codes(void) {
  int first = 1;
  printf("{");
  for (int i = 0; i < 5000; i++)
    if (close_codes[i]) { printf("%s\"%d\":%d", first ? "" : ",", i, close_codes[i]); first = 0; }
  printf("}");
}

static void emit_status(void) {
  long long min_last = -1;
  for (int i = 0; i < A.connections; i++)
    if (conns[i].state == S_OPEN && (min_last < 0 || conns[i].last < min_last)) min_last = conns[i].last;
  printf("{\"event\":\"status\",\"id\":\"%s\",\"open\":%d,\"min_last\":", A.id, opened);
  if (min_last < 0) printf("null"); else printf("%lld", min_last);
  printf(",\"received\":%lld,\"close_codes\":", total_changes);
  print_codes();
  printf("}\n");
  fflush(stdout);
}

static void emit_stats(void) {
  long long unique = 0, dup = 0, ooo = 0, outside = 0, min_last = 0, max_last = 0;
  for (int i = 0; i < A.connections; i++) {
    conn_t *c = &conns[i];
    unique += c->unique; dup += c->dup; ooo += c->ooo; outside += c->outside;
    if (i == 0 || c->last < min_last) min_last = c->last;
    if (i == 0 || c->last > max_last) max_last = c->last;
  }
  double p50 = percentile(0.5), p99 = percentile(0.99);
  printf("{\"event\":\"stats\",\"id\":\"%s\",\"connections\":%d,\"open\":%d,\"failed\":%d,\"retried\":%d,"
         "\"after_seq\":%lld,\"changes\":%lld,\"unique\":%lld,\"dup\":%lld,\"ooo\":%lld,\"outside\":%lld,"
         "\"min_last\":%lld,\"max_last\":%lld,\"snapshots\":%lld,\"heartbeats\":%lld,\"others\":%lld,\"close_codes\":",
         A.id, A.connections, opened, failed, retried, A.after_seq, total_changes, unique, dup, ooo, outside, min_last,
         max_last, snapshots, heartbeats, others);
  print_codes();
  printf(",\"errors\":{");
  int first = 1;
  if (err_connect) { printf("\"connect\":%lld", err_connect); first = 0; }
  if (err_handshake) { printf("%s\"handshake\":%lld", first ? "" : ",", err_handshake); first = 0; }
  if (err_reset) { printf("%s\"reset\":%lld", first ? "" : ",", err_reset); first = 0; }
  if (bad_frames) { printf("%s\"bad_frames\":%lld", first ? "" : ",", bad_frames); first = 0; }
  printf("},\"parse_mismatch\":0,\"measured\":%lld,\"first_measured\":%.3f,\"last_measured\":%.3f,\"negative\":%lld,"
         "\"lat_max\":%.3f,\"p50\":%.1f,\"p99\":%.1f,\"bucket_ms\":%g,\"hist\":[",
         measured, first_measured, last_measured, negative, lat_max, p50, p99, BUCKET_MS);
  first = 1;
  for (long b = 0; b < BUCKETS; b++)
    if (hist[b]) { printf("%s[%ld,%u]", first ? "" : ",", b, hist[b]); first = 0; }
  printf("]");
  if (A.expect > 0 || A.connections <= 16) {
    printf(",\"per_conn_unique\":[");
    for (int i = 0; i < A.connections; i++) printf("%s%lld", i ? "," : "", conns[i].unique);
    printf("]");
  }
  printf("}\n");
  fflush(stdout);
}

static void on_change(conn_t *c, long long seq, double sent, double now) {
  c->changes++;
  total_changes++;
  long long idx = seq - A.after_seq - 1;
  if (c->bits) {
    if (idx >= 0 && idx < A.capacity) {
      if (c->bits[idx]) c->dup++;
      else {
        c->bits[idx] = 1;
        c->unique++;
        if (seq < c->last) c->ooo++;
      }
    } else c->outside++;
  } else if (seq <= c->last) c->ooo++;
  else c->unique++;
  if (seq > c->last) c->last = seq;
  if (!isnan(sent)) record(sent, now);
  if (A.expect > 0 && c->completed_at == 0 && c->unique >= A.expect) {
    c->completed_at = now;
    if (++completed == A.connections && !complete_sent) {
      complete_sent = 1;
      double worst = 0, from_open = 0;
      for (int i = 0; i < A.connections; i++) {
        if (conns[i].completed_at - conns[i].connect_started > worst) worst = conns[i].completed_at - conns[i].connect_started;
        if (conns[i].completed_at - conns[i].opened_at > from_open) from_open = conns[i].completed_at - conns[i].opened_at;
      }
      printf("{\"event\":\"complete\",\"id\":\"%s\",\"ms_from_connect\":%.3f,\"ms_from_open\":%.3f,\"expect\":%lld}\n",
             A.id, worst, from_open, A.expect);
      fflush(stdout);
    }
  }
}

static const char CHANGE_PREFIX[] = "{\"type\":\"change\",\"seq\":";
static const char SENT_KEY[] = "\"bench_sent_ms\":";

static void on_message(conn_t *c, const char *m, size_t n) {
  double now = now_ms();
  size_t pl = sizeof(CHANGE_PREFIX) - 1;
  if (n > pl && memcmp(m, CHANGE_PREFIX, pl) == 0) {
    long long seq = strtoll(m + pl, NULL, 10);
    double sent = NAN;
    const char *at = memmem(m + pl, n - pl, SENT_KEY, sizeof(SENT_KEY) - 1);
    if (at) {
      char tmp[64];
      size_t k = 0;
      const char *p = at + sizeof(SENT_KEY) - 1;
      while (p < m + n && k < sizeof(tmp) - 1 && (strchr("0123456789.-+eE", *p) != NULL) && *p) tmp[k++] = *p++;
      tmp[k] = 0;
      sent = strtod(tmp, NULL);
    }
    on_change(c, seq, sent, now);
    return;
  }
  if (memmem(m, n > 64 ? 64 : n, "\"heartbeat\"", 11)) heartbeats++;
  else if (memmem(m, n > 64 ? 64 : n, "\"snapshot\"", 10)) {
    snapshots++;
    const char *s = memmem(m, n, "\"seq\":", 6);
    if (s) {
      long long seq = strtoll(s + 6, NULL, 10);
      if (seq > c->last) c->last = seq;
    }
  } else others++;
}

static void send_masked(conn_t *c, int opcode, const char *payload, size_t n) {
  unsigned char frame[256];
  if (n > 125) n = 125;
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | (unsigned char)n;
  unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  memcpy(frame + 2, mask, 4);
  for (size_t i = 0; i < n; i++) frame[6 + i] = payload[i] ^ mask[i % 4];
  ssize_t w = write(c->fd, frame, 6 + n);
  (void)w;
}

static void conn_close(conn_t *c, int code) {
  if (c->fd >= 0) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
  }
  if (c->state == S_OPEN) {
    opened--;
    if (!stop_flag && code >= 0 && code < 5000) close_codes[code]++;
    c->close_code = code;
  }
  c->state = S_CLOSED;
}

static void start_connect(conn_t *c);

static void handshake_failed(conn_t *c) {
  if (c->fd >= 0) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
  }
  in_progress--;
  c->len = 0;
  if (c->attempt < A.retries && !stop_flag) {
    c->attempt++;
    retried++;
    c->state = S_IDLE;
    c->retry_at = now_ms() + 200.0 * c->attempt;
    waiting_retry++;
  } else {
    c->state = S_FAILED;
    failed++;
  }
}

static void ensure_cap(char **buf, size_t *cap, size_t need) {
  if (*cap >= need) return;
  size_t n = *cap ? *cap : 4096;
  while (n < need) n *= 2;
  *buf = realloc(*buf, n);
  *cap = n;
}

/* Consumes complete frames from data[0..n); returns bytes consumed. */
static size_t parse_frames(conn_t *c, const unsigned char *d, size_t n) {
  size_t off = 0;
  while (n - off >= 2) {
    const unsigned char *f = d + off;
    int fin = f[0] & 0x80, opcode = f[0] & 0x0f, masked = f[1] & 0x80;
    uint64_t len = f[1] & 0x7f;
    size_t hdr = 2;
    if (len == 126) {
      if (n - off < 4) break;
      len = ((uint64_t)f[2] << 8) | f[3];
      hdr = 4;
    } else if (len == 127) {
      if (n - off < 10) break;
      len = 0;
      for (int i = 0; i < 8; i++) len = (len << 8) | f[2 + i];
      hdr = 10;
    }
    if (masked) hdr += 4;
    if (n - off < hdr + len) break;
    const char *p = (const char *)f + hdr;
    if (masked) bad_frames++;
    if (opcode == 1 || opcode == 2 || opcode == 0) {
      if (fin && opcode != 0 && c->msg_len == 0) on_message(c, p, len);
      else {
        ensure_cap(&c->msg, &c->msg_cap, c->msg_len + len);
        memcpy(c->msg + c->msg_len, p, len);
        c->msg_len += len;
        if (fin) {
          on_message(c, c->msg, c->msg_len);
          c->msg_len = 0;
        }
      }
    } else if (opcode == 8) {
      int code = len >= 2 ? (((unsigned char)p[0]) << 8 | (unsigned char)p[1]) : 1005;
      send_masked(c, 8, p, len >= 2 ? 2 : 0);
      conn_close(c, code);
      return n;
    } else if (opcode == 9) {
      send_masked(c, 10, p, len);
    }
    off += hdr + len;
  }
  return off;
}

static void on_data(conn_t *c, unsigned char *data, size_t n) {
  if (c->len == 0) {
    size_t used = parse_frames(c, data, n);
    if (c->state != S_OPEN) return;
    if (used < n) {
      ensure_cap(&c->buf, &c->cap, n - used);
      memcpy(c->buf, data + used, n - used);
      c->len = n - used;
    }
  } else {
    ensure_cap(&c->buf, &c->cap, c->len + n);
    memcpy(c->buf + c->len, data, n);
    c->len += n;
    size_t used = parse_frames(c, (unsigned char *)c->buf, c->len);
    if (c->state != S_OPEN) return;
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
  }
}

static unsigned char rbuf[READ_BUF];

static void on_readable(conn_t *c) {
  for (;;) {
    ssize_t r = read(c->fd, rbuf, sizeof(rbuf));
    if (r > 0) {
      if (c->state == S_HANDSHAKE) {
        ensure_cap(&c->buf, &c->cap, c->len + r + 1);
        memcpy(c->buf + c->len, rbuf, r);
        c->len += r;
        c->buf[c->len] = 0;
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!end) continue;
        if (strncmp(c->buf, "HTTP/1.1 101", 12) != 0) {
          err_handshake++;
          handshake_failed(c);
          return;
        }
        size_t hl = end + 4 - c->buf;
        size_t rest = c->len - hl;
        c->state = S_OPEN;
        c->opened_at = now_ms();
        opened++;
        in_progress--;
        unsigned char *tmp = NULL;
        if (rest) {
          tmp = malloc(rest);
          memcpy(tmp, c->buf + hl, rest);
        }
        c->len = 0;
        if (rest) {
          on_data(c, tmp, rest);
          free(tmp);
        }
        if (c->state != S_OPEN) return;
        continue;
      }
      on_data(c, rbuf, (size_t)r);
      if (c->state != S_OPEN) return;
      if ((size_t)r < sizeof(rbuf)) return;
    } else if (r == 0) {
      if (c->state == S_HANDSHAKE) { err_handshake++; handshake_failed(c); }
      else { err_reset++; conn_close(c, 1006); }
      return;
    } else {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      if (c->state == S_HANDSHAKE) { err_reset++; handshake_failed(c); }
      else { err_reset++; conn_close(c, 1006); }
      return;
    }
  }
}

static void send_handshake(conn_t *c) {
  char req[8192];
  int n = snprintf(req, sizeof(req),
                   "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                   A.path, A.host, A.port, A.token[0] ? "Authorization: Bearer " : "", A.token, A.token[0] ? "\r\n" : "");
  ssize_t w = write(c->fd, req, n);
  if (w != n) { err_connect++; handshake_failed(c); return; }
  c->state = S_HANDSHAKE;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void start_connect(conn_t *c) {
  if (!c->connect_started) c->connect_started = now_ms();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) { err_connect++; c->state = S_FAILED; failed++; return; }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (A.local[0]) {
    struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = 0};
    inet_pton(AF_INET, A.local, &la.sin_addr);
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&la, sizeof(la)) < 0) { close(fd); err_connect++; c->state = S_FAILED; failed++; return; }
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(A.port)};
  inet_pton(AF_INET, A.host, &sa.sin_addr);
  c->fd = fd;
  in_progress++;
  c->state = S_CONNECTING;
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
    err_connect++;
    handshake_failed(c);
  }
}

static void on_writable(conn_t *c) {
  int err = 0;
  socklen_t l = sizeof(err);
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
  if (err) { err_connect++; handshake_failed(c); return; }
  send_handshake(c);
}

static void pump_connects(void) {
  if (ready_sent) return;
  while (in_progress < A.concurrency && next_conn < A.connections && !stop_flag) start_connect(&conns[next_conn++]);
  if (waiting_retry) {
    double now = now_ms();
    for (int i = 0; i < next_conn && in_progress < A.concurrency; i++)
      if (conns[i].state == S_IDLE && conns[i].retry_at <= now) { waiting_retry--; start_connect(&conns[i]); }
  }
  if (next_conn == A.connections && in_progress == 0 && waiting_retry == 0) { ready_sent = 1; emit_ready(); }
}

static void on_stdin(void) {
  for (;;) {
    ssize_t r = read(0, stdin_buf + stdin_len, sizeof(stdin_buf) - stdin_len - 1);
    if (r == 0) {
      epoll_ctl(epfd, EPOLL_CTL_DEL, 0, NULL);
      if (A.duration <= 0) stop_flag = 1;
      return;
    }
    if (r < 0) return;
    stdin_len += r;
    char *nl;
    while ((nl = memchr(stdin_buf, '\n', stdin_len))) {
      *nl = 0;
      if (strncmp(stdin_buf, "status", 6) == 0) emit_status();
      else if (strncmp(stdin_buf, "from ", 5) == 0) measure_from = strtod(stdin_buf + 5, NULL);
      else if (strncmp(stdin_buf, "stop", 4) == 0) stop_flag = 1;
      size_t used = nl + 1 - stdin_buf;
      memmove(stdin_buf, nl + 1, stdin_len - used);
      stdin_len -= used;
    }
  }
}

static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static int parse_url(const char *url) {
  const char *p = url;
  if (strncmp(p, "ws://", 5) != 0) return -1;
  p += 5;
  const char *colon = strchr(p, ':'), *slash = strchr(p, '/');
  if (!slash) slash = p + strlen(p);
  if (colon && colon < slash) {
    snprintf(A.host, sizeof(A.host), "%.*s", (int)(colon - p), p);
    A.port = atoi(colon + 1);
  } else snprintf(A.host, sizeof(A.host), "%.*s", (int)(slash - p), p);
  snprintf(A.path, sizeof(A.path), "%s", *slash ? slash : "/");
  if (strcmp(A.host, "localhost") == 0) strcpy(A.host, "127.0.0.1");
  return 0;
}

int main(int argc, char **argv) {
  const char *url = NULL;
  int after_given = 0;
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(k, "--url")) { url = v; i++; }
    else if (!strcmp(k, "--token")) { snprintf(A.token, sizeof(A.token), "%s", v); i++; }
    else if (!strcmp(k, "--connections")) { A.connections = atoi(v); i++; }
    else if (!strcmp(k, "--after-seq")) { A.after_seq = atoll(v); after_given = 1; i++; }
    else if (!strcmp(k, "--capacity")) { A.capacity = atoll(v); i++; }
    else if (!strcmp(k, "--local-address")) { snprintf(A.local, sizeof(A.local), "%s", v); i++; }
    else if (!strcmp(k, "--concurrency")) { A.concurrency = atoi(v); i++; }
    else if (!strcmp(k, "--expect")) { A.expect = atoll(v); i++; }
    else if (!strcmp(k, "--duration")) { A.duration = atof(v); i++; }
    else if (!strcmp(k, "--id")) { snprintf(A.id, sizeof(A.id), "%s", v); i++; }
    else if (!strcmp(k, "--retries")) { A.retries = atoi(v); i++; }
    else if (!strcmp(k, "--full-parse")) { /* the C client always reads the bytes */ }
    else { fprintf(stderr, "unknown argument %s\n", k); return 2; }
  }
  if (!url || parse_url(url) < 0) { fprintf(stderr, "--url ws://host:port/path is required\n"); return 2; }
  if (!after_given) {
    const char *q = strstr(A.path, "after_seq=");
    A.after_seq = q ? atoll(q + 10) : 0;
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  started_at = now_ms();
  hist = calloc(BUCKETS, sizeof(uint32_t));
  conns = calloc(A.connections, sizeof(conn_t));
  for (int i = 0; i < A.connections; i++) {
    conns[i].fd = -1;
    conns[i].index = i;
    conns[i].last = A.after_seq;
    if (A.capacity > 0) conns[i].bits = calloc(A.capacity, 1);
  }
  epfd = epoll_create1(0);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  struct epoll_event sev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &sev);
  struct epoll_event events[1024];
  double deadline = A.duration > 0 ? started_at + A.duration * 1000 : 0;
  while (!stop_flag) {
    pump_connects();
    int n = epoll_wait(epfd, events, 1024, 50);
    for (int i = 0; i < n; i++) {
      conn_t *c = events[i].data.ptr;
      if (c == NULL) { on_stdin(); continue; }
      if (c->fd < 0) continue;
      if (c->state == S_CONNECTING) {
        if (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_writable(c);
      } else if (c->state == S_HANDSHAKE || c->state == S_OPEN) {
        on_readable(c);
      }
    }
    if (deadline && now_ms() >= deadline) stop_flag = 1;
  }
  emit_stats();
  _exit(0);
}
