// A batch's results as files to download: JSON (every job representation, untouched) and CSV (one row per
// image, the parts a spreadsheet user wants).
import { errorsOf, facesOf, labelsOf, moderationOf, textLinesOf } from "./results.js";

export const CSV_COLUMNS = [
  "jobId",
  "filename",
  "status",
  "errorCode",
  "errorMessage",
  "width",
  "height",
  "labels",
  "faces",
  "text",
  "moderation",
];

// Spreadsheets run cells that start with = + - @ as formulas; a filename like "=HYPERLINK(...)" must stay text.
function neutralizeFormula(text) {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export function csvCell(value) {
  if (value === null || value === undefined) return "";
  const text = typeof value === "number" ? String(value) : neutralizeFormula(String(value));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const rounded = (value) => (typeof value === "number" ? value.toFixed(1) : "");

export function jobToRow(job) {
  const errors = errorsOf(job);
  return {
    jobId: job.jobId,
    filename: job.filename,
    status: job.status,
    errorCode: errors.map((error) => (error.feature ? `${error.feature}:${error.code}` : error.code)).join("; "),
    errorMessage: errors.map((error) => error.message).join("; "),
    width: job.image?.width ?? "",
    height: job.image?.height ?? "",
    labels: labelsOf(job)
      .map((label) => `${label.name} (${rounded(label.confidence)})`)
      .join("; "),
    faces: job.results?.faces ? facesOf(job).length : "",
    text: textLinesOf(job)
      .map((line) => line.text)
      .join(" | "),
    moderation: moderationOf(job)
      .map((label) => `${label.name} (${rounded(label.confidence)})`)
      .join("; "),
  };
}

export function jobsToCsv(jobs) {
  const lines = [CSV_COLUMNS.join(",")];
  for (const job of jobs) {
    const row = jobToRow(job);
    lines.push(CSV_COLUMNS.map((column) => csvCell(row[column])).join(","));
  }
  // CRLF as RFC 4180 says, and a BOM so spreadsheet programs read UTF-8 filenames correctly.
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}

export function jobsToJson(batch, jobs) {
  return `${JSON.stringify({ batch, jobs }, null, 2)}\n`;
}

export function exportFilename(batchId, extension) {
  return `imgrec-${batchId}.${extension}`;
}
