// One presigned S3 POST upload through XMLHttpRequest (fetch has no upload progress events).
// FormData: every pair of upload.fields first, then the file last, as S3 requires.
import { UploadError } from "./upload-queue.js";

export function buildUploadForm(fields, file, FormDataImpl = FormData) {
  const form = new FormDataImpl();
  for (const [name, value] of Object.entries(fields ?? {})) form.append(name, value);
  form.append("file", file);
  return form;
}

// S3 error bodies are XML: <Error><Code>EntityTooLarge</Code><Message>…</Message></Error>.
export function s3ErrorCode(xmlText) {
  const match = /<Code>([^<]+)<\/Code>/.exec(xmlText ?? "");
  return match ? match[1] : "";
}

export function sendWithXhr(item, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", item.target.upload.url);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(Math.min(item.size, event.loaded));
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new UploadError("http", { status: xhr.status, code: s3ErrorCode(xhr.responseText) }));
    });
    // A refused CORS preflight looks exactly like this too: the browser hides the reason from scripts.
    xhr.addEventListener("error", () => reject(new UploadError("network")));
    xhr.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })));
    xhr.send(buildUploadForm(item.target.upload.fields, item.target.file));
  });
  return { promise, abort: () => xhr.abort() };
}
