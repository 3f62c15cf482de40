import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";

import { signUpUrl } from "../../frontend/js/auth.js";
import { ConfigError, resolveConfig } from "../../frontend/js/config.js";
import { makeTranslator } from "../../frontend/js/i18n.js";
import { describeDomains, emailDomain, parseAllowedDomains, signUpVerdict } from "../../frontend/js/sign-up.js";

// The same cases the server's pre sign-up check is tested with (tests/unit/accounts/test_sign_up.py).
const { cases } = JSON.parse(await readFile(new URL("../fixtures/sign_up_cases.json", import.meta.url), "utf8"));

const cognito = (signUp) => ({
  mode: "cognito",
  domain: "imgrec-x.auth.eu-west-1.amazoncognito.com",
  clientId: "client1",
  redirectUri: "https://d111.cloudfront.net/",
  signUp,
});

describe("sign-up rule", () => {
  for (const c of cases) {
    it(`agrees with the server: ${c.why}`, () => {
      const rule = parseAllowedDomains(c.domains ? c.domains.split(",") : []);
      assert.equal(signUpVerdict(c.email, rule).allowed, c.allowed, c.email);
    });
  }

  it("says why: the refused domain, or that it is no address", () => {
    const rule = parseAllowedDomains(["example.com"]);
    assert.deepEqual(signUpVerdict("Mallory@Gmail.com", rule), { allowed: false, reason: "domain", domain: "gmail.com" });
    assert.equal(signUpVerdict("mallory", rule).reason, "not-an-address");
    assert.equal(emailDomain("a@b@Example.COM."), "example.com");
  });

  it("describes the allowed domains in the user's language", () => {
    const rule = parseAllowedDomains(["example.com", "*.example.org"]);
    assert.equal(describeDomains(rule, makeTranslator("en")), "example.com or any sub-domain of example.org");
    assert.equal(describeDomains(rule, makeTranslator("fr")), "example.com ou tout sous-domaine de example.org");
  });
});

describe("sign-up config", () => {
  it("is off unless config.json allows it, and always off locally", () => {
    assert.equal(resolveConfig({ auth: cognito(false) }).auth.signUp, false);
    assert.equal(resolveConfig({ auth: cognito(undefined) }).auth.signUp, false);
    assert.equal(resolveConfig({ auth: { mode: "local", signUp: { allowedDomains: [] } } }).auth.signUp, false);
  });

  it("keeps the allowed domains and refuses a malformed list", () => {
    const config = resolveConfig({ auth: cognito({ allowedDomains: ["Example.com"] }) });
    assert.deepEqual(config.auth.signUp.rule, { exact: ["example.com"], parents: [] });
    assert.throws(() => resolveConfig({ auth: cognito({ allowedDomains: "example.com" }) }), ConfigError);
    assert.throws(() => resolveConfig({ auth: cognito({ allowedDomains: ["http://x"] }) }), ConfigError);
  });

  it("sends the user to Cognito's sign-up page with the same PKCE parameters as sign-in", () => {
    const url = new URL(signUpUrl(cognito(false), { state: "s1", challenge: "c1" }));
    assert.equal(url.origin + url.pathname, "https://imgrec-x.auth.eu-west-1.amazoncognito.com/signup");
    assert.equal(url.searchParams.get("code_challenge"), "c1");
    assert.equal(url.searchParams.get("code_challenge_method"), "S256");
    assert.equal(url.searchParams.get("redirect_uri"), "https://d111.cloudfront.net/");
    assert.equal(url.searchParams.get("response_type"), "code");
  });
});
