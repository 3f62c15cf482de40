// Live updates: the WebSocket API (docs/notifications.md). Connects with the caller's token as `?token=`,
// subscribes to the batches the page follows, hands each event (job.finished, batch.completed) over once
// (events carry ids: a redelivered one is dropped), keeps an idle connection open with pings (API Gateway
// closes one after 10 minutes of silence), and reconnects with backoff when the connection drops, subscribing
// again. The page polls while it is not open (app.js); after a reconnect it reads the batch once to catch up.

export const PING_MS = 4 * 60 * 1000;
const MAX_BACKOFF_MS = 30_000;
const SEEN_LIMIT = 5000;

// 1 s, 2 s, 4 s, ... up to 30 s, with jitter so many tabs do not reconnect in step.
export function reconnectDelay(attempt, random = Math.random) {
  const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.75 + random() * 0.5));
}

export function socketAddress(url, token) {
  const separator = url.includes("?") ? "&" : "?";
  return `${url}${separator}token=${encodeURIComponent(token)}`;
}

// A server message is an event when it has an id and one of the event types; anything else is a reply.
export function isEvent(message) {
  return Boolean(message?.id) && (message.type === "job.finished" || message.type === "batch.completed");
}

export class LiveUpdates {
  constructor({
    url,
    getToken,
    onEvent = () => {},
    onState = () => {},
    WebSocketImpl = globalThis.WebSocket,
    timers = globalThis,
    random = Math.random,
  }) {
    Object.assign(this, { url, getToken, onEvent, onState, WebSocketImpl, timers, random });
    this.watched = new Set();
    this.subscribed = new Set();
    this.seen = new Set();
    this.state = "closed";
    this.opens = 0;
    this.received = 0;
    this.attempt = 0;
    this.stopped = true;
    this.socket = null;
  }

  get available() {
    return Boolean(this.url && this.WebSocketImpl);
  }

  get open() {
    return this.state === "open";
  }

  start() {
    if (!this.available || !this.stopped) return;
    this.stopped = false;
    this._connect();
  }

  stop() {
    this.stopped = true;
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearInterval(this.pingTimer);
    this.watched.clear();
    this.subscribed.clear();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "signed out");
    this._setState("closed");
  }

  watch(batchId) {
    this.watched.add(batchId);
    if (this.open) this._send({ action: "subscribe", batchId });
  }

  unwatch(batchId) {
    this.watched.delete(batchId);
    this.subscribed.delete(batchId);
    if (this.open) this._send({ action: "unsubscribe", batchId });
  }

  isSubscribed(batchId) {
    return this.open && this.subscribed.has(batchId);
  }

  _connect() {
    const token = this.getToken();
    if (!token || this.stopped) return;
    let socket;
    try {
      socket = new this.WebSocketImpl(socketAddress(this.url, token));
    } catch {
      this._retry();
      return;
    }
    this.socket = socket;
    this._setState("connecting");
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.attempt = 0;
      this.opens += 1;
      this._setState("open");
      for (const batchId of this.watched) this._send({ action: "subscribe", batchId });
      this.pingTimer = this.timers.setInterval(() => this._send({ action: "ping" }), PING_MS);
    };
    socket.onmessage = (message) => this._receive(message.data);
    socket.onclose = () => {
      if (socket !== this.socket) return;
      this.timers.clearInterval(this.pingTimer);
      this.subscribed.clear();
      this.socket = null;
      this._setState("closed");
      this._retry();
    };
    socket.onerror = () => {}; // a close follows
  }

  _retry() {
    if (this.stopped) return;
    const delay = reconnectDelay(this.attempt, this.random);
    this.attempt += 1;
    this.retryTimer = this.timers.setTimeout(() => this._connect(), delay);
  }

  _send(message) {
    try {
      this.socket?.send(JSON.stringify(message));
    } catch {
      // closing: the reconnect subscribes again
    }
  }

  _receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === "subscribed") {
      this.subscribed.add(message.batchId);
      this.onState(this.state, { subscribed: message.batchId });
      return;
    }
    if (!isEvent(message) || this.seen.has(message.id)) return;
    if (this.seen.size >= SEEN_LIMIT) this.seen.clear();
    this.seen.add(message.id);
    this.received += 1;
    this.onEvent(message);
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state, {});
  }
}
