// Uploads a list of files a few at a time, with per-file and overall progress, cancel and retry.
// The actual transfer is injected (`send`), so this scheduling logic runs under Node's test runner too.
//
// send(item, onProgress) must return { promise, abort }: the promise resolves on success and rejects with
// an UploadError (or an AbortError-like error with name "AbortError" after abort()).

export class UploadError extends Error {
  constructor(kind, { status = 0, code = "", detail = "" } = {}) {
    super(detail || kind);
    this.name = "UploadError";
    this.kind = kind; // "network" | "http" | "expired"
    this.status = status;
    this.code = code;
  }
}

export const UPLOAD_STATES = ["pending", "uploading", "uploaded", "failed", "cancelled"];

export class UploadQueue {
  constructor({ send, concurrency = 4, onChange = () => {} }) {
    this.send = send;
    this.concurrency = Math.max(1, concurrency);
    this.onChange = onChange;
    this.items = [];
    this.running = new Map(); // id → abort function
    this.idle = Promise.resolve();
    this._resolveIdle = null;
  }

  // entries: [{ id, name, size, target }] where target is whatever `send` needs (file + presigned form).
  add(entries) {
    for (const entry of entries) {
      this.items.push({ ...entry, state: "pending", loaded: 0, error: null });
    }
    this._pump();
  }

  get(id) {
    return this.items.find((item) => item.id === id);
  }

  cancel(id) {
    const item = this.get(id);
    if (!item || !["pending", "uploading"].includes(item.state)) return;
    const abort = this.running.get(id);
    item.state = "cancelled";
    item.loaded = 0;
    if (abort) {
      this.running.delete(id);
      abort();
    }
    this._changed();
    this._pump();
  }

  cancelAll() {
    for (const item of this.items) {
      if (item.state === "pending" || item.state === "uploading") this.cancel(item.id);
    }
  }

  retry(id) {
    const item = this.get(id);
    if (!item || !["failed", "cancelled"].includes(item.state)) return;
    item.state = "pending";
    item.loaded = 0;
    item.error = null;
    this._pump();
    this._changed();
  }

  retryFailed() {
    for (const item of this.items) if (item.state === "failed" || item.state === "cancelled") this.retry(item.id);
  }

  summary() {
    const counts = Object.fromEntries(UPLOAD_STATES.map((state) => [state, 0]));
    let totalBytes = 0;
    let sentBytes = 0;
    for (const item of this.items) {
      counts[item.state] += 1;
      if (item.state === "cancelled") continue;
      totalBytes += item.size;
      sentBytes += item.state === "uploaded" ? item.size : Math.min(item.loaded, item.size);
    }
    const active = counts.pending + counts.uploading;
    return {
      counts,
      total: this.items.length,
      totalBytes,
      sentBytes,
      fraction: totalBytes === 0 ? 0 : sentBytes / totalBytes,
      settled: active === 0,
    };
  }

  uploadedIds() {
    return this.items.filter((item) => item.state === "uploaded").map((item) => item.id);
  }

  // Resolves once nothing is pending or uploading (again resolved after later retries settle).
  whenSettled() {
    if (this.summary().settled) return Promise.resolve(this.summary());
    return new Promise((resolve) => {
      this._resolveIdle = resolve;
    });
  }

  _changed() {
    this.onChange(this);
    if (this._resolveIdle && this.summary().settled) {
      const resolve = this._resolveIdle;
      this._resolveIdle = null;
      resolve(this.summary());
    }
  }

  _pump() {
    while (this.running.size < this.concurrency) {
      const next = this.items.find((item) => item.state === "pending");
      if (!next) break;
      this._start(next);
    }
  }

  _start(item) {
    item.state = "uploading";
    item.loaded = 0;
    const { promise, abort } = this.send(item, (loaded) => {
      if (item.state !== "uploading" || this.running.get(item.id) !== abort) return;
      item.loaded = loaded;
      this.onChange(this);
    });
    this.running.set(item.id, abort);
    this._changed();
    promise.then(
      () => this._finish(item, abort, "uploaded", null),
      (error) => this._finish(item, abort, "failed", error),
    );
  }

  _finish(item, abort, state, error) {
    // A cancelled (or cancelled-then-retried) upload reports late: its outcome no longer belongs to the item.
    if (this.running.get(item.id) !== abort) return;
    this.running.delete(item.id);
    item.state = state;
    item.error = error;
    if (state === "uploaded") item.loaded = item.size;
    this._pump();
    this._changed();
  }
}
