import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { buildUploadForm, s3ErrorCode } from "../../frontend/js/s3-upload.js";
import { UploadError, UploadQueue } from "../../frontend/js/upload-queue.js";

// A transfer the test finishes by hand: records what started and lets the test resolve, fail or watch aborts.
function manualSender() {
  const transfers = new Map();
  const started = [];
  const send = (item, onProgress) => {
    let settle;
    const promise = new Promise((resolve, reject) => {
      settle = { resolve, reject };
    });
    const transfer = { item, onProgress, ...settle, aborted: false };
    const abort = () => {
      transfer.aborted = true;
      settle.reject(Object.assign(new Error("aborted"), { name: "AbortError" }));
    };
    transfers.set(item.id, transfer);
    started.push(item.id);
    return { promise, abort };
  };
  return { send, transfers, started };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const entries = (count, size = 100) =>
  Array.from({ length: count }, (_, index) => ({ id: `j${index}`, name: `f${index}.jpg`, size, target: {} }));

describe("UploadQueue", () => {
  it("runs at most `concurrency` uploads at once and starts the next when one finishes", async () => {
    const sender = manualSender();
    const queue = new UploadQueue({ send: sender.send, concurrency: 2 });
    queue.add(entries(5));
    assert.deepEqual(sender.started, ["j0", "j1"]);
    sender.transfers.get("j0").resolve();
    await tick();
    assert.deepEqual(sender.started, ["j0", "j1", "j2"]);
    assert.equal(queue.get("j0").state, "uploaded");
  });

  it("reports per-file and overall progress by bytes", async () => {
    const sender = manualSender();
    const queue = new UploadQueue({ send: sender.send, concurrency: 2 });
    queue.add([
      { id: "a", name: "a", size: 300, target: {} },
      { id: "b", name: "b", size: 100, target: {} },
    ]);
    sender.transfers.get("a").onProgress(150);
    assert.equal(queue.get("a").loaded, 150);
    assert.equal(queue.summary().fraction, 150 / 400);
    sender.transfers.get("b").resolve();
    await tick();
    assert.equal(queue.summary().fraction, 250 / 400);
  });

  it("marks a failed upload failed with its error, and retry uploads it again", async () => {
    const sender = manualSender();
    const queue = new UploadQueue({ send: sender.send, concurrency: 1 });
    queue.add(entries(1));
    sender.transfers.get("j0").reject(new UploadError("http", { status: 403, code: "AccessDenied" }));
    await tick();
    const item = queue.get("j0");
    assert.equal(item.state, "failed");
    assert.equal(item.error.code, "AccessDenied");
    assert.equal(queue.summary().settled, true);
    queue.retry("j0");
    assert.equal(queue.get("j0").state, "uploading");
    sender.transfers.get("j0").resolve();
    await tick();
    assert.equal(queue.get("j0").state, "uploaded");
  });

  it("cancels a running upload (aborting it) and a waiting one, and keeps going with the rest", async () => {
    const sender = manualSender();
    const queue = new UploadQueue({ send: sender.send, concurrency: 1 });
    queue.add(entries(3));
    const first = sender.transfers.get("j0");
    queue.cancel("j0");
    queue.cancel("j2");
    await tick();
    assert.equal(first.aborted, true);
    assert.equal(queue.get("j0").state, "cancelled");
    assert.equal(queue.get("j2").state, "cancelled");
    assert.deepEqual(sender.started, ["j0", "j1"]);
    sender.transfers.get("j1").resolve();
    await tick();
    assert.deepEqual(queue.uploadedIds(), ["j1"]);
    assert.equal(queue.summary().settled, true);
  });

  it("ignores the late answer of a cancelled upload that was retried meanwhile", async () => {
    const sender = manualSender();
    const queue = new UploadQueue({ send: sender.send, concurrency: 1 });
    queue.add(entries(1));
    const stale = sender.transfers.get("j0");
    queue.cancel("j0");
    queue.retry("j0");
    stale.resolve(); // already rejected by abort: a no-op, as a late XHR 'load' would be
    await tick();
    assert.equal(queue.get("j0").state, "uploading");
  });

  it("leaves cancelled files out of the byte totals", () => {
    const sender = manualSender();
    const queue = new UploadQueue({ send: sender.send, concurrency: 1 });
    queue.add(entries(2, 100));
    queue.cancel("j1");
    assert.equal(queue.summary().totalBytes, 100);
  });

  it("resolves whenSettled once everything is through", async () => {
    const sender = manualSender();
    const queue = new UploadQueue({ send: sender.send, concurrency: 3 });
    queue.add(entries(2));
    const settled = queue.whenSettled();
    sender.transfers.get("j0").resolve();
    sender.transfers.get("j1").reject(new UploadError("network"));
    const summary = await settled;
    assert.deepEqual([summary.counts.uploaded, summary.counts.failed], [1, 1]);
  });
});

describe("presigned POST form", () => {
  it("puts every policy field first and the file last", () => {
    const form = buildUploadForm(
      { key: "u/k.jpg", policy: "p", "x-amz-signature": "s", "Content-Type": "image/jpeg" },
      new Blob(["abc"]),
    );
    const names = [...form.keys()];
    assert.deepEqual(names, ["key", "policy", "x-amz-signature", "Content-Type", "file"]);
  });

  it("reads S3's error code from its XML answer", () => {
    assert.equal(s3ErrorCode("<Error><Code>EntityTooLarge</Code><Message>m</Message></Error>"), "EntityTooLarge");
    assert.equal(s3ErrorCode(""), "");
  });
});
