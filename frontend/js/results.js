// Pure reading of job representations (GET /jobs/{id}, GET /batches/{id}/jobs): what the views list.

import { FEATURES, STATUSES, TERMINAL_STATUSES } from "./contract.js";

export { FEATURES, STATUSES };
export const TERMINAL = new Set(TERMINAL_STATUSES);

const byConfidence = (a, b) => (b.confidence ?? 0) - (a.confidence ?? 0);

export function labelsOf(job) {
  return (job?.results?.labels ?? [])
    .map((label) => ({
      name: label.Name,
      confidence: label.Confidence,
      parents: (label.Parents ?? []).map((parent) => parent.Name),
      instances: (label.Instances ?? []).length,
    }))
    .sort(byConfidence);
}

export function textLinesOf(job) {
  return (job?.results?.text ?? [])
    .filter((detection) => detection.Type === "LINE")
    .map((detection) => ({ text: detection.DetectedText, confidence: detection.Confidence }));
}

export function facesOf(job) {
  return (job?.results?.faces ?? []).map((face, index) => ({ index: index + 1, confidence: face.Confidence }));
}

export function moderationOf(job) {
  return (job?.results?.moderation ?? [])
    .map((label) => ({ name: label.Name, confidence: label.Confidence, parent: label.ParentName || "" }))
    .sort(byConfidence);
}

export function requestedFeatures(job) {
  return job?.options?.features ?? ["LABELS"];
}

// Every distinct label name in the jobs, most frequent first: the label filter's choices.
export function labelChoices(jobs) {
  const counts = new Map();
  for (const job of jobs) {
    for (const name of new Set(labelsOf(job).map((label) => label.name))) {
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name]) => name);
}

export function filterJobs(jobs, { status = "", label = "" } = {}) {
  return jobs.filter(
    (job) => (!status || job.status === status) && (!label || labelsOf(job).some((item) => item.name === label)),
  );
}

// Count of jobs that no longer change: what the overall batch progress bar shows.
export function finishedCount(counts) {
  return [...TERMINAL].reduce((sum, status) => sum + (counts?.[status] ?? 0), 0);
}

// Status counts from the job representations themselves.
export function countByStatus(jobs) {
  const counts = Object.fromEntries(STATUSES.map((status) => [status, 0]));
  for (const job of jobs) counts[job.status] = (counts[job.status] ?? 0) + 1;
  return counts;
}

// Polling stops when the API says the batch is done, or when nothing is queued or running any more
// (jobs whose upload was cancelled stay AWAITING_UPLOAD for ever and must not keep the page polling).
export function batchSettled(batch) {
  if (!batch) return false;
  if (batch.done) return true;
  const counts = batch.counts ?? {};
  return (counts.QUEUED ?? 0) === 0 && (counts.PROCESSING ?? 0) === 0 && finishedCount(counts) > 0;
}

// Errors to explain for a job: the job's own error (FAILED) and each feature's error (PARTIAL).
export function errorsOf(job) {
  const errors = [];
  if (job?.error?.code) errors.push({ feature: null, code: job.error.code, message: job.error.message ?? "" });
  for (const [feature, error] of Object.entries(job?.featureErrors ?? {})) {
    if (error?.code) errors.push({ feature, code: error.code, message: error.message ?? "" });
  }
  return errors;
}

// Merges a page of job representations into the list the gallery shows, keyed by jobId, keeping order.
// An unchanged job keeps its old object: every answer carries freshly presigned image URLs, and swapping
// them would make the browser download every thumbnail again on each poll.
export function mergeJobs(current, incoming) {
  const index = new Map(current.map((job, position) => [job.jobId, position]));
  const merged = current.slice();
  for (const job of incoming) {
    if (index.has(job.jobId)) {
      const known = merged[index.get(job.jobId)];
      const unchanged = known.status === job.status && known.updatedAt === job.updatedAt;
      // An answer read before a newer one (a page listed while an event's job was fetched) never wins.
      const older = (known.updatedAt ?? "") > (job.updatedAt ?? "") || (TERMINAL.has(known.status) && !TERMINAL.has(job.status));
      if (!unchanged && !older) merged[index.get(job.jobId)] = job;
    } else {
      index.set(job.jobId, merged.length);
      merged.push(job);
    }
  }
  return merged;
}
