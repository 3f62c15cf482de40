// The REST API client (design/API.md). Takes fetch and a token getter, so Node tests pass fakes.
// Every non-2xx answer becomes an ApiError carrying the API's {"error": {"code", "message"}}.

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter; // the Retry-After header of a 429 or 503, as sent
  }
}

export const NETWORK_ERROR = "NETWORK_ERROR";

// Retry-After is seconds (or an HTTP date); the wait is kept within [minMs, maxMs] so a bad header
// neither hammers the API nor freezes the page.
export function retryAfterMs(header, { fallbackMs = 2000, minMs = 500, maxMs = 30000, now = Date.now() } = {}) {
  let waitMs = fallbackMs;
  if (header !== null && header !== undefined && String(header).trim() !== "") {
    const text = String(header).trim();
    if (/^\d+(\.\d+)?$/.test(text)) waitMs = Number(text) * 1000;
    else if (!Number.isNaN(Date.parse(text))) waitMs = Date.parse(text) - now;
  }
  return Math.min(maxMs, Math.max(minMs, waitMs));
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null; // not JSON (a proxy's HTML page): fall back to the status line below
  }
  const error = body?.error;
  const retryAfter = response.headers?.get?.("Retry-After") ?? null;
  if (error?.code) return new ApiError(response.status, String(error.code), String(error.message ?? ""), retryAfter);
  const message = body?.message ?? response.statusText ?? "";
  return new ApiError(response.status, `HTTP_${response.status}`, String(message || `HTTP ${response.status}`));
}

export class ApiClient {
  constructor({ baseUrl, getToken, fetchImpl = (...args) => globalThis.fetch(...args) }) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.getToken = getToken;
    this.fetchImpl = fetchImpl;
  }

  async request(method, path, { body, query } = {}) {
    const url = new URL(this.baseUrl + path, globalThis.location?.href ?? "http://localhost/");
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const headers = { Accept: "application/json" };
    const token = this.getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await this.fetchImpl(url.toString(), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      throw new ApiError(0, NETWORK_ERROR, cause?.message ?? "network error");
    }
    if (!response.ok) throw await errorFrom(response);
    const data = response.status === 204 ? null : await response.json();
    return { data, headers: response.headers, status: response.status };
  }

  async createBatch(images, options, { name, tags } = {}) {
    const body = { images, options };
    if (name) body.name = name;
    if (tags?.length) body.tags = tags;
    return (await this.request("POST", "/batches", { body })).data;
  }

  async addImages(batchId, images) {
    const path = `/batches/${encodeURIComponent(batchId)}/images`;
    return (await this.request("POST", path, { body: { images } })).data;
  }

  async submit(batchId, jobIds) {
    const path = `/batches/${encodeURIComponent(batchId)}/submit`;
    return (await this.request("POST", path, { body: jobIds ? { jobIds } : {} })).data;
  }

  // Returns the batch and how long to wait before asking again (Retry-After, while not done).
  async getBatch(batchId) {
    const { data, headers } = await this.request("GET", `/batches/${encodeURIComponent(batchId)}`);
    return { batch: data, retryAfter: headers.get("Retry-After") };
  }

  async listJobsPage(batchId, { status, limit = 100, nextToken } = {}) {
    const path = `/batches/${encodeURIComponent(batchId)}/jobs`;
    return (await this.request("GET", path, { query: { status, limit, nextToken } })).data;
  }

  async listAllJobs(batchId, filters = {}) {
    const jobs = [];
    let nextToken;
    do {
      const page = await this.listJobsPage(batchId, { ...filters, nextToken });
      jobs.push(...(page.jobs ?? []));
      nextToken = page.nextToken || undefined;
    } while (nextToken);
    return jobs;
  }

  async getJob(jobId) {
    return (await this.request("GET", `/jobs/${encodeURIComponent(jobId)}`)).data;
  }

  // ---- the library ----

  // One page of GET /search: { results, nextToken, facets (first page) }.
  async search(params = {}, { limit = 24, nextToken } = {}) {
    return (await this.request("GET", "/search", { query: { ...params, limit, nextToken } })).data;
  }

  async stats(top = 10) {
    return (await this.request("GET", "/stats", { query: { top } })).data;
  }

  async listBatches({ name, tag, limit = 100, nextToken } = {}) {
    return (await this.request("GET", "/batches", { query: { name, tag, limit, nextToken } })).data;
  }

  async updateBatch(batchId, changes) {
    return (await this.request("PATCH", `/batches/${encodeURIComponent(batchId)}`, { body: changes })).data;
  }

  // DELETE answers 200 when done, 202 when it goes on in the background: both return the deletion.
  async deleteBatch(batchId) {
    return (await this.request("DELETE", `/batches/${encodeURIComponent(batchId)}`)).data;
  }

  async deleteJob(jobId) {
    return (await this.request("DELETE", `/jobs/${encodeURIComponent(jobId)}`)).data;
  }

  async deleteAccountData() {
    return (await this.request("DELETE", "/account/data")).data;
  }

  async getDeletion(deletionId) {
    const { data, headers } = await this.request("GET", `/deletions/${encodeURIComponent(deletionId)}`);
    return { deletion: data, retryAfter: headers.get("Retry-After") };
  }
}
