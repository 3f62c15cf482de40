// The live updates client (frontend/js/live.js) against a fake WebSocket and fake timers.
import assert from "node:assert/strict";
import { test } from "node:test";

import { LiveUpdates, isEvent, reconnectDelay, socketAddress } from "../../frontend/js/live.js";

class FakeSocket {
  static made = [];
  constructor(url) {
    this.url = url;
    this.sent = [];
    FakeSocket.made.push(this);
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.onclose?.();
  }
  // test helpers
  open() {
    this.onopen?.();
  }
  deliver(message) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

function fakeTimers() {
  const timers = { pending: [], intervals: 0 };
  timers.setTimeout = (fn, ms) => timers.pending.push({ fn, ms }) && timers.pending.length;
  timers.clearTimeout = () => {};
  timers.setInterval = () => ++timers.intervals;
  timers.clearInterval = () => {};
  timers.fire = () => timers.pending.shift().fn();
  return timers;
}

function client(overrides = {}) {
  FakeSocket.made = [];
  const events = [];
  const timers = fakeTimers();
  const live = new LiveUpdates({
    url: "ws://127.0.0.1:8001",
    getToken: () => "ann token",
    onEvent: (event) => events.push(event),
    WebSocketImpl: FakeSocket,
    timers,
    random: () => 0.5,
    ...overrides,
  });
  return { live, events, timers };
}

const finished = (id, batchId = "b-1") => ({ id, type: "job.finished", version: 1, data: { batchId, jobId: "j-1" } });

test("the token goes in the query string, escaped", () => {
  assert.equal(socketAddress("ws://h:1", "a b&c"), "ws://h:1?token=a%20b%26c");
  assert.equal(socketAddress("wss://h/v1?x=1", "t"), "wss://h/v1?x=1&token=t");
});

test("backoff doubles up to 30 s, with jitter around it", () => {
  assert.deepEqual([0, 1, 2, 3].map((n) => reconnectDelay(n, () => 0.5)), [1000, 2000, 4000, 8000]);
  assert.equal(reconnectDelay(10, () => 0.5), 30_000);
  assert.equal(reconnectDelay(0, () => 0), 750);
  assert.equal(reconnectDelay(0, () => 1), 1250);
});

test("only events with an id are events", () => {
  assert.ok(isEvent(finished("evt-1")));
  assert.ok(!isEvent({ type: "subscribed", batchId: "b-1" }));
  assert.ok(!isEvent({ type: "job.finished" }));
});

test("batches watched before the socket opens are subscribed once it does", () => {
  const { live } = client();
  live.watch("b-1");
  live.start();
  const [socket] = FakeSocket.made;
  assert.equal(socket.url, "ws://127.0.0.1:8001?token=ann%20token");
  assert.deepEqual(socket.sent, []);
  socket.open();
  assert.deepEqual(socket.sent, [{ action: "subscribe", batchId: "b-1" }]);
  assert.ok(!live.isSubscribed("b-1"));
  socket.deliver({ type: "subscribed", batchId: "b-1", connectionId: "c" });
  assert.ok(live.isSubscribed("b-1"));
});

test("an event delivered twice is handed over once", () => {
  const { live, events } = client();
  live.start();
  FakeSocket.made[0].open();
  FakeSocket.made[0].deliver(finished("evt-1"));
  FakeSocket.made[0].deliver(finished("evt-1"));
  FakeSocket.made[0].deliver(finished("evt-2"));
  assert.deepEqual(events.map((e) => e.id), ["evt-1", "evt-2"]);
  assert.equal(live.received, 2);
});

test("a dropped connection reconnects after a backoff and subscribes again", () => {
  const { live, timers } = client();
  const states = [];
  live.onState = (state, detail) => detail.subscribed || states.push(state);
  live.watch("b-1");
  live.start();
  FakeSocket.made[0].open();
  FakeSocket.made[0].deliver({ type: "subscribed", batchId: "b-1" });
  FakeSocket.made[0].close();
  assert.ok(!live.isSubscribed("b-1"));
  assert.equal(timers.pending[0].ms, 1000);
  timers.fire();
  const second = FakeSocket.made[1];
  second.open();
  assert.deepEqual(second.sent, [{ action: "subscribe", batchId: "b-1" }]);
  assert.equal(live.opens, 2);
  assert.deepEqual(states, ["connecting", "open", "closed", "connecting", "open"]);
});

test("stopping (signing out) closes the socket and never reconnects", () => {
  const { live, timers } = client();
  live.start();
  FakeSocket.made[0].open();
  live.stop();
  assert.equal(timers.pending.length, 0);
  assert.equal(live.state, "closed");
});

test("without a socket URL nothing connects (the page polls)", () => {
  const { live } = client({ url: "" });
  live.start();
  assert.equal(FakeSocket.made.length, 0);
  assert.ok(!live.available);
});
