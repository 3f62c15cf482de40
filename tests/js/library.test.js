import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { batchTitle, chartBars, searchParams } from "../../frontend/js/library.js";

describe("searchParams", () => {
  it("sends the box as a label by default, trimmed", () => {
    assert.deepEqual(searchParams({ text: "  Golden Retriever " }), { label: "Golden Retriever" });
  });

  it("sends the first word as text in text mode", () => {
    assert.deepEqual(searchParams({ text: "open daily", mode: "text" }), { text: "open" });
  });

  it("adds the batch, moderation and face filters, and nothing for empty fields", () => {
    assert.deepEqual(searchParams({ text: "", batchId: "b-1", flagged: true, faces: "with" }), {
      batchId: "b-1",
      flagged: "true",
      minFaces: "1",
    });
    assert.deepEqual(searchParams({ faces: "without" }), { maxFaces: "0" });
    assert.deepEqual(searchParams({}), {});
  });
});

describe("chartBars", () => {
  it("scales every bar to the largest count", () => {
    assert.deepEqual(
      chartBars([
        { name: "Dog", count: 10 },
        { name: "Cat", count: 5 },
        { name: "Owl", count: 0 },
      ]),
      [
        { name: "Dog", count: 10, percent: 100 },
        { name: "Cat", count: 5, percent: 50 },
        { name: "Owl", count: 0, percent: 2 },
      ],
    );
  });

  it("draws nothing for no labels", () => {
    assert.deepEqual(chartBars([]), []);
  });
});

describe("batchTitle", () => {
  it("is the name when there is one, else the day and the id", () => {
    assert.equal(batchTitle({ name: "Garden", batchId: "b-123", createdAt: "2026-11-27T10:00:00Z" }), "Garden");
    assert.equal(batchTitle({ batchId: "b-1234567890abc", createdAt: "2026-11-27T10:00:00Z" }), "2026-11-27 · b-12345678");
  });
});
