// The live stream (spec section 7) as a browser follows it: a WebSocket to the page's own origin, the token in
// the first message, resume with after_seq. Its life cycle:
//
//   connecting -> live            (the socket opened and the auth message went out)
//   live | connecting -> waiting  (the socket closed: retry with backoff, resuming after the last seq processed)
//   waiting -> connecting
//   any -> refused                (4001: token wrong or revoked; 4003: no read role) and the stream stops
//   any -> stopped                (stop(): signed out, or the mode changed)

export const State = Object.freeze({
  CONNECTING: "connecting", LIVE: "live", WAITING: "reconnecting", REFUSED: "refused", STOPPED: "stopped",
});

const REFUSALS = { 4001: "signin.revoked", 4003: "signin.no_read" };
const MAX_DELAY_MS = 5000;

export class Stream {
  constructor({ token, exercise, onSnapshot, onChange, onState }) {
    Object.assign(this, { token, exercise, onSnapshot, onChange, onState });
    this.seq = null;  // the last seq processed: the resume point
    this.failures = 0;
    this.state = State.STOPPED;
    this.socket = null;
    this.timer = null;
  }

  start() {
    this.to(State.CONNECTING);
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "auth", token: this.token }));
      this.to(State.LIVE);
    };
    socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    socket.onclose = (event) => this.closed(socket, event.code);
  }

  stop() {
    clearTimeout(this.timer);
    this.to(State.STOPPED);
    this.socket?.close(1000);
    this.socket = null;
  }

  url() {
    const parameters = new URLSearchParams();
    if (this.seq !== null) parameters.set("after_seq", this.seq);
    if (this.exercise) parameters.set("exercise", "true");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/api/v1/stream?${parameters}`;
  }

  receive(message) {
    this.failures = 0;
    if (message.type === "snapshot") {
      this.seq = message.seq;
      this.onSnapshot(message);
    } else if (message.type === "change" && message.seq > (this.seq ?? 0)) {
      this.seq = message.seq;
      this.onChange(message);
    } else if (message.type === "heartbeat") {
      this.seq = Math.max(this.seq ?? 0, message.seq);
    }
  }

  closed(socket, code) {
    if (socket !== this.socket || this.state === State.STOPPED) return;
    this.socket = null;
    if (code in REFUSALS) {
      this.to(State.REFUSED, REFUSALS[code]);
      return;
    }
    this.failures += 1;
    const delay = Math.min(MAX_DELAY_MS, 250 * 2 ** Math.min(this.failures, 5));
    this.to(State.WAITING);
    this.timer = setTimeout(() => this.start(), delay);
  }

  to(state, reason) {
    this.state = state;
    this.onState(state, reason);
  }
}
