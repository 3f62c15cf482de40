// Entry point: read config.json, then hand the page to the App controller.
import { App } from "./app.js";
import { loadConfig } from "./config.js";

const byId = (id) => document.getElementById(id);

async function boot() {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    // Before the translator exists: the one message that cannot be translated (the config names the language).
    byId("alerts").textContent = error.message;
    throw error;
  }
  const app = new App(config, {
    header: byId("header"),
    alerts: byId("alerts"),
    signin: byId("signin"),
    work: byId("work"),
    compose: byId("compose"),
    uploads: byId("uploads"),
    batch: byId("batch"),
    gallery: byId("gallery-view"),
    dialog: byId("detail"),
    nav: byId("nav"),
    library: byId("library"),
  });
  globalThis.imgrecApp = app; // a handle for debugging in the console and for browser tests' diagnostics
  await app.start();
}

boot();
