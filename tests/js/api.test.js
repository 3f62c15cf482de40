import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ApiClient, ApiError, NETWORK_ERROR, retryAfterMs } from "../../frontend/js/api.js";

function fakeFetch(answers) {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init });
    const answer = answers.shift();
    if (answer instanceof Error) throw answer;
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: answer.headers ?? { "Content-Type": "application/json" },
    });
  };
  return { calls, fetchImpl };
}

const client = (fetchImpl, token = "alice") =>
  new ApiClient({ baseUrl: "http://127.0.0.1:8000/api/", getToken: () => token, fetchImpl });

describe("ApiClient", () => {
  it("sends the bearer token and a JSON body", async () => {
    const { calls, fetchImpl } = fakeFetch([{ status: 201, body: { batchId: "b1", jobs: [] } }]);
    const answer = await client(fetchImpl).createBatch([{ filename: "a.jpg", contentType: "image/jpeg", size: 3 }], {
      features: ["LABELS"],
    });
    assert.equal(answer.batchId, "b1");
    assert.equal(calls[0].url, "http://127.0.0.1:8000/api/batches");
    assert.equal(calls[0].init.method, "POST");
    assert.equal(calls[0].init.headers.Authorization, "Bearer alice");
    assert.deepEqual(JSON.parse(calls[0].init.body).options, { features: ["LABELS"] });
  });

  it("turns the API's error body into an ApiError with its code and message", async () => {
    const { fetchImpl } = fakeFetch([
      { status: 413, body: { error: { code: "FILE_TOO_LARGE", message: "over 40 MiB" } } },
    ]);
    await assert.rejects(client(fetchImpl).createBatch([], {}), (error) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 413);
      assert.equal(error.code, "FILE_TOO_LARGE");
      assert.equal(error.message, "over 40 MiB");
      return true;
    });
  });

  it("still reports an error whose body is not the API's JSON (a proxy page)", async () => {
    const { fetchImpl } = fakeFetch([{ status: 502, body: undefined, headers: { "Content-Type": "text/html" } }]);
    await assert.rejects(client(fetchImpl).getJob("j"), (error) => error.code === "HTTP_502" && error.status === 502);
  });

  it("reports an unreachable API as a network error", async () => {
    const { fetchImpl } = fakeFetch([new TypeError("Failed to fetch")]);
    await assert.rejects(client(fetchImpl).getJob("j"), (error) => error.code === NETWORK_ERROR);
  });

  it("follows nextToken until the last page of jobs", async () => {
    const { calls, fetchImpl } = fakeFetch([
      { body: { jobs: [{ jobId: "1" }, { jobId: "2" }], nextToken: "t/2=" } },
      { body: { jobs: [{ jobId: "3" }], nextToken: null } },
    ]);
    const jobs = await client(fetchImpl).listAllJobs("b 1");
    assert.deepEqual(
      jobs.map((job) => job.jobId),
      ["1", "2", "3"],
    );
    assert.equal(calls[0].url, "http://127.0.0.1:8000/api/batches/b%201/jobs?limit=100");
    assert.equal(new URL(calls[1].url).searchParams.get("nextToken"), "t/2=");
  });

  it("hands back the batch's Retry-After header", async () => {
    const { fetchImpl } = fakeFetch([
      { body: { batchId: "b", done: false }, headers: { "Content-Type": "application/json", "Retry-After": "3" } },
    ]);
    const { batch, retryAfter } = await client(fetchImpl).getBatch("b");
    assert.equal(batch.batchId, "b");
    assert.equal(retryAfter, "3");
  });

  it("omits Authorization when signed out", async () => {
    const { calls, fetchImpl } = fakeFetch([{ body: { status: "ok" } }]);
    await client(fetchImpl, null).request("GET", "/health");
    assert.equal(calls[0].init.headers.Authorization, undefined);
  });
});

describe("retryAfterMs", () => {
  it("honours seconds", () => {
    assert.equal(retryAfterMs("3"), 3000);
  });

  it("honours an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", { now }), 5000);
  });

  it("uses the fallback without a header and for nonsense", () => {
    assert.equal(retryAfterMs(null, { fallbackMs: 1500 }), 1500);
    assert.equal(retryAfterMs("soon", { fallbackMs: 1500 }), 1500);
  });

  it("never polls faster than the floor nor waits longer than the ceiling", () => {
    assert.equal(retryAfterMs("0"), 500);
    assert.equal(retryAfterMs("3600"), 30000);
  });
});

describe("over a quota", () => {
it("a 429 keeps its code, sentence and Retry-After", async () => {
  const fetchImpl = async () =>
    new Response(JSON.stringify({ error: { code: "QUOTA_EXCEEDED", message: "over 10 images per day" } }), {
      status: 429,
      headers: { "Retry-After": "3600", "Content-Type": "application/json" },
    });
  const client = new ApiClient({ baseUrl: "http://api.test", getToken: () => "alice", fetchImpl });
  await assert.rejects(client.request("POST", "/batches", { body: {} }), (error) => {
    assert.equal(error.status, 429);
    assert.equal(error.code, "QUOTA_EXCEEDED");
    assert.equal(error.retryAfter, "3600");
    return true;
  });
});
});
