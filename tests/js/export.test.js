import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CSV_COLUMNS, csvCell, jobsToCsv, jobsToJson } from "../../frontend/js/export.js";

const succeeded = {
  jobId: "j1",
  filename: 'dog, "good".jpg',
  status: "SUCCEEDED",
  error: null,
  image: { width: 640, height: 480, url: "http://x" },
  options: { features: ["LABELS", "FACES", "TEXT"] },
  results: {
    labels: [
      { Name: "Animal", Confidence: 98.04, Parents: [] },
      { Name: "Dog", Confidence: 99.12, Parents: [{ Name: "Animal" }] },
    ],
    faces: [],
    text: [
      { Type: "LINE", DetectedText: "STOP", Confidence: 99 },
      { Type: "WORD", DetectedText: "STOP", Confidence: 99 },
    ],
  },
};
const failed = {
  jobId: "j2",
  filename: "=cmd().jpg",
  status: "FAILED",
  error: { code: "DECODE_ERROR", message: "cannot identify image" },
  image: null,
  results: null,
};
const partial = {
  jobId: "j3",
  filename: "p.png",
  status: "PARTIAL",
  error: null,
  results: { labels: [] },
  featureErrors: { TEXT: { code: "FEATURE_FAILED", message: "throttled" } },
};

// A small RFC 4180 reader, enough to check the writer round-trips.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(cell);
      cell = "";
    } else if (char === "\r" && text[index + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      index += 1;
    } else cell += char;
  }
  return rows;
}

describe("CSV export", () => {
  const csv = jobsToCsv([succeeded, failed, partial]);
  const rows = parseCsv(csv.replace(/^\uFEFF/, ""));
  const records = rows
    .slice(1)
    .map((row) => Object.fromEntries(CSV_COLUMNS.map((column, index) => [column, row[index]])));

  it("has a header and one row per job", () => {
    assert.deepEqual(rows[0], CSV_COLUMNS);
    assert.equal(records.length, 3);
  });

  it("quotes commas and quotes in filenames so they round-trip", () => {
    assert.equal(records[0].filename, 'dog, "good".jpg');
  });

  it("lists labels by confidence, face count and text lines only", () => {
    assert.equal(records[0].labels, "Dog (99.1); Animal (98.0)");
    assert.equal(records[0].faces, "0");
    assert.equal(records[0].text, "STOP");
    assert.equal(records[0].width, "640");
  });

  it("carries the error code and message of failed jobs and per-feature errors of partial ones", () => {
    assert.equal(records[1].errorCode, "DECODE_ERROR");
    assert.equal(records[1].errorMessage, "cannot identify image");
    assert.equal(records[2].errorCode, "TEXT:FEATURE_FAILED");
  });

  it("keeps a filename that looks like a formula from running in a spreadsheet", () => {
    assert.equal(records[1].filename, "'=cmd().jpg");
    assert.equal(csvCell("@SUM(A1)"), "'@SUM(A1)");
    assert.equal(csvCell(-3), "-3");
  });

  it("starts with a UTF-8 byte order mark and ends lines with CRLF", () => {
    assert.ok(csv.startsWith("\uFEFFjobId,"));
    assert.ok(csv.endsWith("\r\n"));
  });
});

describe("JSON export", () => {
  it("holds the batch and every job representation unchanged", () => {
    const parsed = JSON.parse(jobsToJson({ batchId: "b1" }, [succeeded, failed]));
    assert.deepEqual(parsed, { batch: { batchId: "b1" }, jobs: [succeeded, failed] });
  });
});
