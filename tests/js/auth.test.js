import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { describe, it } from "node:test";

import {
  Session,
  authorizeUrl,
  base64url,
  codeChallenge,
  logoutUrl,
  nameFromIdToken,
  tokenRequest,
} from "../../frontend/js/auth.js";

const cognito = {
  mode: "cognito",
  domain: "imgrec.auth.eu-west-1.amazoncognito.com",
  clientId: "client1",
  redirectUri: "https://app.example/",
  scopes: ["openid", "email"],
};

class MemoryStorage {
  constructor() {
    this.map = new Map();
  }
  getItem(key) {
    return this.map.has(key) ? this.map.get(key) : null;
  }
  setItem(key, value) {
    this.map.set(key, String(value));
  }
  removeItem(key) {
    this.map.delete(key);
  }
}

describe("PKCE", () => {
  it("derives the S256 challenge of RFC 7636 appendix B", async () => {
    // Node 18 has no global `crypto`; the browser's is the same Web Crypto API.
    assert.equal(
      await codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", webcrypto),
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("encodes base64url without padding", () => {
    assert.equal(base64url(new Uint8Array([251, 255])), "-_8");
  });

  it("builds the hosted UI authorize URL with code flow, state and challenge", () => {
    const url = new URL(authorizeUrl(cognito, { state: "s1", challenge: "c1" }));
    assert.equal(url.origin + url.pathname, "https://imgrec.auth.eu-west-1.amazoncognito.com/oauth2/authorize");
    assert.equal(url.searchParams.get("response_type"), "code");
    assert.equal(url.searchParams.get("client_id"), "client1");
    assert.equal(url.searchParams.get("redirect_uri"), "https://app.example/");
    assert.equal(url.searchParams.get("scope"), "openid email");
    assert.equal(url.searchParams.get("code_challenge_method"), "S256");
    assert.equal(url.searchParams.get("code_challenge"), "c1");
    assert.equal(url.searchParams.get("state"), "s1");
  });

  it("trades the code with the verifier at the token endpoint", () => {
    const { url, init } = tokenRequest(cognito, { code: "abc", verifier: "v" });
    assert.equal(url, "https://imgrec.auth.eu-west-1.amazoncognito.com/oauth2/token");
    assert.equal(init.body.get("grant_type"), "authorization_code");
    assert.equal(init.body.get("code_verifier"), "v");
    assert.equal(init.body.get("code"), "abc");
  });

  it("signs out through the hosted UI logout endpoint", () => {
    assert.match(logoutUrl(cognito), /\/logout\?client_id=client1&logout_uri=https%3A%2F%2Fapp.example%2F$/);
  });
});

describe("Session", () => {
  it("uses the typed name as the local bearer token and forgets it on sign-out", () => {
    const storage = new MemoryStorage();
    const session = new Session({ auth: { mode: "local" } }, { storage, location: {} });
    assert.equal(session.signInLocal("  "), false);
    assert.equal(session.token, null);
    assert.equal(session.signInLocal(" alice "), true);
    assert.equal(session.token, "alice");
    session.signOut();
    assert.equal(session.token, null);
  });

  it("completes a Cognito redirect: checks state, posts the verifier, keeps the ID token", async () => {
    const storage = new MemoryStorage();
    storage.setItem("imgrec.pkce.state", "st");
    storage.setItem("imgrec.pkce.verifier", "ver");
    const location = { href: "https://app.example/?code=c0de&state=st", pathname: "/" };
    const session = new Session({ auth: cognito }, { storage, location });
    const payload = base64url(new TextEncoder().encode(JSON.stringify({ email: "ann@example.com" })));
    let posted;
    const fetchImpl = async (url, init) => {
      posted = init.body;
      return new Response(JSON.stringify({ id_token: `h.${payload}.s`, expires_in: 3600 }), { status: 200 });
    };
    assert.equal(await session.completeCognitoSignIn(fetchImpl), true);
    assert.equal(posted.get("code_verifier"), "ver");
    assert.equal(session.token, `h.${payload}.s`);
    assert.equal(session.name, "ann@example.com");
    assert.equal(storage.getItem("imgrec.pkce.verifier"), null);
  });

  it("refuses a redirect whose state does not match (a forged callback)", async () => {
    const storage = new MemoryStorage();
    storage.setItem("imgrec.pkce.state", "st");
    storage.setItem("imgrec.pkce.verifier", "ver");
    const session = new Session(
      { auth: cognito },
      { storage, location: { href: "https://app.example/?code=c&state=evil", pathname: "/" } },
    );
    await assert.rejects(
      session.completeCognitoSignIn(async () => assert.fail("must not call the token endpoint")),
      /state mismatch/,
    );
    assert.equal(session.token, null);
  });

  it("reads a display name from an ID token and survives garbage", () => {
    const payload = base64url(new TextEncoder().encode(JSON.stringify({ "cognito:username": "zoé" })));
    assert.equal(nameFromIdToken(`a.${payload}.b`), "zoé");
    assert.equal(nameFromIdToken("garbage"), "");
  });
});
