import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  batchSettled,
  countByStatus,
  errorsOf,
  filterJobs,
  finishedCount,
  labelChoices,
  labelsOf,
  mergeJobs,
  moderationOf,
  textLinesOf,
} from "../../frontend/js/results.js";

const job = (jobId, status, labels = [], extra = {}) => ({
  jobId,
  status,
  results: {
    labels: labels.map(([Name, Confidence, parents = []]) => ({
      Name,
      Confidence,
      Parents: parents.map((p) => ({ Name: p })),
    })),
  },
  ...extra,
});

const jobs = [
  job("a", "SUCCEEDED", [
    ["Dog", 90, ["Animal"]],
    ["Animal", 95],
  ]),
  job("b", "SUCCEEDED", [
    ["Cat", 80, ["Animal"]],
    ["Animal", 85],
  ]),
  job("c", "FAILED", [], { results: null, error: { code: "DECODE_ERROR", message: "m" } }),
];

describe("labels", () => {
  it("are sorted by confidence with their parents' names", () => {
    assert.deepEqual(labelsOf(jobs[0]), [
      { name: "Animal", confidence: 95, parents: [], instances: 0 },
      { name: "Dog", confidence: 90, parents: ["Animal"], instances: 0 },
    ]);
  });

  it("offer the most frequent label first as filter choice", () => {
    assert.deepEqual(labelChoices(jobs), ["Animal", "Cat", "Dog"]);
  });
});

describe("gallery filters", () => {
  it("filter by status", () => {
    assert.deepEqual(
      filterJobs(jobs, { status: "FAILED" }).map((item) => item.jobId),
      ["c"],
    );
  });

  it("filter by label", () => {
    assert.deepEqual(
      filterJobs(jobs, { label: "Dog" }).map((item) => item.jobId),
      ["a"],
    );
  });

  it("combine status and label, and show everything without filters", () => {
    assert.deepEqual(filterJobs(jobs, { status: "FAILED", label: "Animal" }), []);
    assert.equal(filterJobs(jobs, {}).length, 3);
  });
});

describe("text and moderation", () => {
  it("keep only LINE detections as text lines", () => {
    const detections = [
      { Type: "LINE", DetectedText: "OPEN 24H", Confidence: 98 },
      { Type: "WORD", DetectedText: "OPEN", Confidence: 98 },
    ];
    assert.deepEqual(textLinesOf({ results: { text: detections } }), [{ text: "OPEN 24H", confidence: 98 }]);
  });

  it("give moderation labels with their parent", () => {
    const moderation = [{ Name: "Smoking", Confidence: 70, ParentName: "Drugs & Tobacco" }];
    assert.deepEqual(moderationOf({ results: { moderation } }), [
      { name: "Smoking", confidence: 70, parent: "Drugs & Tobacco" },
    ]);
  });
});

describe("errors", () => {
  it("list the job's error and each feature's error", () => {
    const partial = { error: null, featureErrors: { FACES: { code: "FEATURE_FAILED", message: "x" } } };
    assert.deepEqual(errorsOf(partial), [{ feature: "FACES", code: "FEATURE_FAILED", message: "x" }]);
    assert.deepEqual(errorsOf(jobs[2]), [{ feature: null, code: "DECODE_ERROR", message: "m" }]);
    assert.deepEqual(errorsOf(jobs[0]), []);
  });
});

describe("batch progress", () => {
  it("counts finished jobs across the three terminal statuses", () => {
    assert.equal(finishedCount({ SUCCEEDED: 3, PARTIAL: 1, FAILED: 2, QUEUED: 4 }), 6);
  });

  it("is settled when the API says done", () => {
    assert.equal(batchSettled({ done: true, counts: {} }), true);
  });

  it("is settled when only never-uploaded jobs remain, so cancelled uploads do not keep it polling", () => {
    assert.equal(batchSettled({ done: false, counts: { AWAITING_UPLOAD: 2, SUCCEEDED: 3 } }), true);
  });

  it("is not settled while anything is queued or processing", () => {
    assert.equal(batchSettled({ done: false, counts: { QUEUED: 1, SUCCEEDED: 3 } }), false);
    assert.equal(batchSettled({ done: false, counts: { PROCESSING: 1 } }), false);
    assert.equal(batchSettled({ done: false, counts: { AWAITING_UPLOAD: 5 } }), false);
  });
});

describe("countByStatus", () => {
  it("counts the jobs' own statuses, every status present", () => {
    const counts = countByStatus([job("a", "SUCCEEDED"), job("b", "SUCCEEDED"), job("c", "PROCESSING")]);
    assert.deepEqual(counts, { AWAITING_UPLOAD: 0, QUEUED: 0, PROCESSING: 1, SUCCEEDED: 2, PARTIAL: 0, FAILED: 0 });
  });
});

describe("mergeJobs", () => {
  it("keeps an unchanged job's object, so its presigned thumbnail URL is not swapped on every poll", () => {
    const before = { ...job("a", "SUCCEEDED"), updatedAt: "t1", image: { url: "http://s3/a?sig=1" } };
    const again = { ...job("a", "SUCCEEDED"), updatedAt: "t1", image: { url: "http://s3/a?sig=2" } };
    const [merged] = mergeJobs([before], [again]);
    assert.equal(merged.image.url, "http://s3/a?sig=1");
    const changed = { ...again, status: "FAILED", updatedAt: "t2" };
    assert.equal(mergeJobs([before], [changed])[0].status, "FAILED");
  });

  it("updates known jobs in place and appends new ones", () => {
    const merged = mergeJobs([job("a", "QUEUED"), job("b", "QUEUED")], [job("b", "SUCCEEDED"), job("c", "QUEUED")]);
    assert.deepEqual(
      merged.map((item) => [item.jobId, item.status]),
      [
        ["a", "QUEUED"],
        ["b", "SUCCEEDED"],
        ["c", "QUEUED"],
      ],
    );
  });
});
