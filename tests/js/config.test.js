import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfigError, DEFAULT_CONFIG, resolveConfig } from "../../frontend/js/config.js";

describe("config", () => {
  it("defaults to the local stack: API at /api and sign-in by name, 40 MiB limit", () => {
    const config = resolveConfig({});
    assert.equal(config.apiBaseUrl, "/api");
    assert.equal(config.auth.mode, "local");
    assert.equal(config.maxUploadBytes, 40 * 1024 * 1024);
  });

  it("is what frontend/config.json says, with defaults for the rest", async () => {
    const { readFile } = await import("node:fs/promises");
    const raw = JSON.parse(await readFile(new URL("../../frontend/config.json", import.meta.url), "utf8"));
    const config = resolveConfig(raw);
    assert.equal(config.apiBaseUrl, "/api");
    assert.equal(config.maxUploadBytes, DEFAULT_CONFIG.maxUploadBytes);
  });

  it("requires the hosted UI domain, client id and redirect URI for Cognito", () => {
    assert.throws(() => resolveConfig({ auth: { mode: "cognito", clientId: "c" } }), ConfigError);
    const config = resolveConfig({
      apiBaseUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/prod/",
      auth: {
        mode: "cognito",
        domain: "imgrec.auth.eu-west-1.amazoncognito.com",
        clientId: "c",
        redirectUri: "https://app/",
      },
    });
    assert.equal(config.apiBaseUrl, "https://abc.execute-api.eu-west-1.amazonaws.com/prod");
    assert.deepEqual(config.auth.scopes, ["openid", "email"]);
  });

  it("refuses an unknown sign-in mode and nonsense limits", () => {
    assert.throws(() => resolveConfig({ auth: { mode: "magic" } }), ConfigError);
    assert.throws(() => resolveConfig({ maxUploadBytes: -1 }), ConfigError);
  });

  it("never asks for more than the API's 500 images per call", () => {
    assert.equal(resolveConfig({ maxImagesPerRequest: 2000 }).maxImagesPerRequest, 500);
  });
});
