// The one config file (frontend/config.json) read at start: API base URL, sign-in settings, limits.
// Local default: API at /api on the same origin, sign-in by name. A deployment writes its own config.json
// with auth.mode "cognito" and the hosted UI domain, client id and redirect URI, and auth.signUp: false, or
// { allowedDomains: [...] } when people may create their own account ([] = anyone).
import { MAX_IMAGES_PER_REQUEST } from "./contract.js";
import { parseAllowedDomains } from "./sign-up.js";

export const DEFAULT_CONFIG = Object.freeze({
  apiBaseUrl: "/api",
  auth: Object.freeze({ mode: "local" }),
  // The API's FILE_TOO_LARGE limit (IMGREC_MAX_UPLOAD_BYTES, 40 MiB by default): refuse bigger files early.
  maxUploadBytes: 40 * 1024 * 1024,
  // POST /batches takes at most this many images per call; more go through POST /batches/{id}/images.
  maxImagesPerRequest: MAX_IMAGES_PER_REQUEST,
  uploadConcurrency: 4,
  defaultLanguage: "en",
  // The WebSocket API for live progress (empty: none, the page polls). The local gateway fills it in.
  socketUrl: "",
  // Poll for progress while live updates are unavailable (false: only live updates move the progress).
  progressPolling: true,
});

export class ConfigError extends Error {}

const COGNITO_REQUIRED = ["domain", "clientId", "redirectUri"];

export function resolveConfig(raw) {
  const merged = { ...DEFAULT_CONFIG, ...(raw ?? {}) };
  merged.auth = { ...DEFAULT_CONFIG.auth, ...(raw?.auth ?? {}) };
  if (!["local", "cognito"].includes(merged.auth.mode)) {
    throw new ConfigError(`config.json: auth.mode must be "local" or "cognito", not ${merged.auth.mode}`);
  }
  if (merged.auth.mode === "cognito") {
    const missing = COGNITO_REQUIRED.filter((name) => !merged.auth[name]);
    if (missing.length) throw new ConfigError(`config.json: auth needs ${missing.join(", ")} for cognito`);
    merged.auth.scopes = merged.auth.scopes ?? ["openid", "email"];
  }
  merged.auth.signUp = resolveSignUp(merged.auth);
  for (const name of ["maxUploadBytes", "maxImagesPerRequest", "uploadConcurrency"]) {
    if (!Number.isInteger(merged[name]) || merged[name] < 1) {
      throw new ConfigError(`config.json: ${name} must be a positive integer`);
    }
  }
  merged.maxImagesPerRequest = Math.min(merged.maxImagesPerRequest, MAX_IMAGES_PER_REQUEST);
  merged.apiBaseUrl = String(merged.apiBaseUrl).replace(/\/+$/, "");
  merged.socketUrl = String(merged.socketUrl ?? "");
  if (merged.socketUrl && !/^wss?:\/\//.test(merged.socketUrl)) {
    throw new ConfigError("config.json: socketUrl must start with wss:// (or ws:// locally)");
  }
  merged.progressPolling = merged.progressPolling !== false;
  return Object.freeze(merged);
}

// Locally the name is the identity: there is nothing to sign up for.
function resolveSignUp(auth) {
  if (auth.mode !== "cognito" || !auth.signUp) return false;
  if (!Array.isArray(auth.signUp.allowedDomains)) {
    throw new ConfigError("config.json: auth.signUp needs allowedDomains (a list, empty for anyone)");
  }
  try {
    return { allowedDomains: auth.signUp.allowedDomains, rule: parseAllowedDomains(auth.signUp.allowedDomains) };
  } catch (error) {
    throw new ConfigError(`config.json: auth.signUp.allowedDomains: ${error.message}`);
  }
}

export async function loadConfig(fetchImpl = fetch, url = "config.json") {
  const response = await fetchImpl(url, { cache: "no-store" });
  if (!response.ok) throw new ConfigError(`config.json could not be loaded (HTTP ${response.status})`);
  return resolveConfig(await response.json());
}
