// Sign-in. Local stack: the name typed in is the bearer token (design/API.md, Identity).
// Deployed: Cognito hosted UI, authorization code flow with PKCE (RFC 7636); tokens live in
// sessionStorage only (gone when the tab closes). The API Gateway Cognito authorizer is given the ID token.

const TOKEN_KEY = "imgrec.token";
const NAME_KEY = "imgrec.name";
const EXPIRES_KEY = "imgrec.expiresAt";
const VERIFIER_KEY = "imgrec.pkce.verifier";
const STATE_KEY = "imgrec.pkce.state";

export function base64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomString(byteCount = 32, cryptoImpl = globalThis.crypto) {
  return base64url(cryptoImpl.getRandomValues(new Uint8Array(byteCount)));
}

export async function codeChallenge(verifier, cryptoImpl = globalThis.crypto) {
  const digest = await cryptoImpl.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

const hostedUi = (domain) => (domain.startsWith("http") ? domain : `https://${domain}`).replace(/\/+$/, "");

// The hosted sign-up page takes the authorize endpoint's parameters and comes back with a code the same way.
export function signUpUrl(auth, { state, challenge }) {
  return authorizeUrl(auth, { state, challenge }, "/signup");
}

export function authorizeUrl(auth, { state, challenge }, path = "/oauth2/authorize") {
  const url = new URL(`${hostedUi(auth.domain)}${path}`);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", auth.clientId);
  url.searchParams.set("redirect_uri", auth.redirectUri);
  url.searchParams.set("scope", (auth.scopes ?? ["openid", "email"]).join(" "));
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("code_challenge", challenge);
  return url.toString();
}

export function tokenRequest(auth, { code, verifier }) {
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    client_id: auth.clientId,
    code,
    redirect_uri: auth.redirectUri,
    code_verifier: verifier,
  });
  return {
    url: `${hostedUi(auth.domain)}/oauth2/token`,
    init: { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body },
  };
}

export function logoutUrl(auth) {
  const url = new URL(`${hostedUi(auth.domain)}/logout`);
  url.searchParams.set("client_id", auth.clientId);
  url.searchParams.set("logout_uri", auth.logoutUri ?? auth.redirectUri);
  return url.toString();
}

// The display name inside an ID token (no signature check: the API's authorizer does that).
export function nameFromIdToken(idToken) {
  try {
    const payload = idToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(decodeURIComponent(escape(atob(payload))));
    return claims.email || claims["cognito:username"] || claims.sub || "";
  } catch {
    return ""; // a malformed token still signs in; the API decides whether it is valid
  }
}

export class Session {
  constructor(config, { storage = globalThis.sessionStorage, location = globalThis.location } = {}) {
    this.auth = config.auth;
    this.storage = storage;
    this.location = location;
  }

  get token() {
    const expiresAt = Number(this.storage.getItem(EXPIRES_KEY) || 0);
    if (expiresAt && Date.now() > expiresAt) return null;
    return this.storage.getItem(TOKEN_KEY);
  }

  get name() {
    return this.storage.getItem(NAME_KEY) || "";
  }

  signInLocal(name) {
    const trimmed = name.trim();
    if (!trimmed) return false;
    this.storage.setItem(TOKEN_KEY, trimmed);
    this.storage.setItem(NAME_KEY, trimmed);
    this.storage.removeItem(EXPIRES_KEY);
    return true;
  }

  async beginCognitoSignIn() {
    await this._redirect(authorizeUrl);
  }

  // Only offered when config.json allows sign-up (views/chrome.js); the server checks the domain again.
  async beginCognitoSignUp() {
    await this._redirect(signUpUrl);
  }

  async _redirect(urlFor) {
    const verifier = randomString(48);
    const state = randomString(16);
    this.storage.setItem(VERIFIER_KEY, verifier);
    this.storage.setItem(STATE_KEY, state);
    this.location.assign(urlFor(this.auth, { state, challenge: await codeChallenge(verifier) }));
  }

  // Called at start: if the page is Cognito's redirect back (?code=&state=), trade the code for tokens.
  // Returns null when there is nothing to do, or throws an Error whose message says why sign-in failed.
  async completeCognitoSignIn(fetchImpl = (...args) => globalThis.fetch(...args)) {
    if (this.auth.mode !== "cognito") return null;
    const params = new URL(this.location.href).searchParams;
    const error = params.get("error_description") || params.get("error");
    const code = params.get("code");
    if (!code && !error) return null;
    const expectedState = this.storage.getItem(STATE_KEY);
    const verifier = this.storage.getItem(VERIFIER_KEY);
    this.storage.removeItem(STATE_KEY);
    this.storage.removeItem(VERIFIER_KEY);
    globalThis.history?.replaceState(null, "", this.location.pathname);
    if (error) throw new Error(error);
    if (!verifier || params.get("state") !== expectedState) throw new Error("state mismatch");
    const { url, init } = tokenRequest(this.auth, { code, verifier });
    const response = await fetchImpl(url, init);
    if (!response.ok) throw new Error(`token endpoint answered HTTP ${response.status}`);
    const tokens = await response.json();
    this.storage.setItem(TOKEN_KEY, tokens.id_token);
    this.storage.setItem(NAME_KEY, nameFromIdToken(tokens.id_token));
    this.storage.setItem(EXPIRES_KEY, String(Date.now() + (Number(tokens.expires_in) || 3600) * 1000));
    return true;
  }

  signOut() {
    for (const key of [TOKEN_KEY, NAME_KEY, EXPIRES_KEY]) this.storage.removeItem(key);
    if (this.auth.mode === "cognito") this.location.assign(logoutUrl(this.auth));
  }
}
