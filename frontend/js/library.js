// Pure helpers of the library view: what the search form asks the API, and the top-labels chart.

// The search form's state → GET /search parameters. `mode` says whether the box holds a label or a word
// of the detected text; `faces` is "", "with" or "without".
export function searchParams({ text = "", mode = "label", batchId = "", flagged = false, faces = "" } = {}) {
  const params = {};
  const words = text.trim();
  if (words) params[mode === "text" ? "text" : "label"] = mode === "text" ? words.split(/\s+/)[0] : words;
  if (batchId) params.batchId = batchId;
  if (flagged) params.flagged = "true";
  if (faces === "with") params.minFaces = "1";
  if (faces === "without") params.maxFaces = "0";
  return params;
}

// Bars for the chart: each label's share of the largest count, in percent (at least a sliver when > 0).
export function chartBars(counts = []) {
  const largest = Math.max(0, ...counts.map((item) => item.count));
  return counts.map((item) => ({
    name: item.name,
    count: item.count,
    percent: largest ? Math.max(2, Math.round((item.count / largest) * 100)) : 0,
  }));
}

// How a batch is named on screen: its name, else the day it was created and its id's start.
export function batchTitle(batch) {
  if (batch?.name) return batch.name;
  return `${(batch?.createdAt ?? "").slice(0, 10)} · ${(batch?.batchId ?? "").slice(0, 10)}`;
}
