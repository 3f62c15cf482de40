// Which chosen files may be uploaded: images only, not empty, not over the API's upload limit.
// Refusing here saves an upload that the API or the worker would refuse anyway, and says why at once.

const TYPES_BY_EXTENSION = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  jpe: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  bmp: "image/bmp",
  tif: "image/tiff",
  tiff: "image/tiff",
  heic: "image/heic",
  heif: "image/heif",
  avif: "image/avif",
};

export function extensionOf(name) {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

// Browsers leave `type` empty for formats they don't know (HEIC on most systems): fall back to the extension.
export function imageContentType(file) {
  if (file.type && file.type.startsWith("image/")) return file.type;
  if (file.type && file.type !== "application/octet-stream") return null;
  return TYPES_BY_EXTENSION[extensionOf(file.name)] ?? null;
}

export function classifyFile(file, maxUploadBytes) {
  const contentType = imageContentType(file);
  if (!contentType) return { ok: false, reason: "NOT_IMAGE" };
  if (file.size === 0) return { ok: false, reason: "EMPTY_FILE" };
  if (file.size > maxUploadBytes) return { ok: false, reason: "FILE_TOO_LARGE" };
  return { ok: true, contentType };
}

// Splits a list of files into what will be uploaded and what was refused (with the reason code).
export function partitionFiles(files, maxUploadBytes) {
  const accepted = [];
  const refused = [];
  for (const file of files) {
    const verdict = classifyFile(file, maxUploadBytes);
    if (verdict.ok) accepted.push({ file, contentType: verdict.contentType });
    else refused.push({ name: displayName(file), size: file.size, reason: verdict.reason });
  }
  return { accepted, refused };
}

export function displayName(file) {
  return file.relativePath || file.webkitRelativePath || file.name;
}

export function chunk(items, size) {
  const chunks = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

// Hidden files (".DS_Store", "._photo.jpg" from macOS) come along with dropped folders; skip them silently.
export function isHiddenName(name) {
  return name.split("/").some((part) => part.startsWith("."));
}
