// The page frame: header (title, language, who is signed in, sign-out), alerts, and the sign-in panel.
import { LANGUAGES } from "../strings.js";
import { h, replaceChildren } from "./dom.js";

export function renderHeader(root, { t, session, signedIn, actions }) {
  const languageSelect = h(
    "select",
    { id: "language", onchange: (event) => actions.setLanguage(event.target.value) },
    Object.entries(LANGUAGES).map(([code, name]) =>
      h("option", { value: code, selected: code === t.lang, lang: code }, name),
    ),
  );
  replaceChildren(
    root,
    h("div", { class: "brand" }, h("h1", {}, t("app.title")), h("p", { class: "tagline" }, t("app.tagline"))),
    h(
      "div",
      { class: "tools" },
      h("label", { for: "language" }, t("language.label")),
      languageSelect,
      signedIn && h("span", { class: "who", id: "who" }, t("auth.signedInAs", { name: session.name })),
      signedIn && h("button", { type: "button", id: "sign-out", onclick: actions.signOut }, t("auth.signOut")),
    ),
  );
}

export function renderAlerts(root, { t, alerts, actions }) {
  replaceChildren(
    root,
    alerts.map((alert) =>
      h(
        "div",
        { class: "alert", "data-code": alert.code ?? "" },
        h("p", {}, t(alert.key, alert.params)),
        h("button", { type: "button", class: "link", onclick: () => actions.dismissAlert(alert.id) }, t("api.dismiss")),
      ),
    ),
  );
}

export function renderSignIn(root, { t, config, actions, nameError }) {
  if (config.auth.mode === "cognito") {
    replaceChildren(
      root,
      h("h2", {}, t("auth.signInTitle")),
      h("p", {}, t("auth.cognitoHint")),
      h("button", { type: "button", class: "primary", onclick: actions.signInCognito }, t("auth.signInCognito")),
    );
    return;
  }
  const input = h("input", {
    id: "signin-name",
    name: "name",
    type: "text",
    autocomplete: "username",
    required: true,
    "aria-describedby": "signin-hint",
  });
  const form = h(
    "form",
    {
      class: "signin",
      onsubmit: (event) => {
        event.preventDefault();
        actions.signInLocal(input.value);
      },
    },
    h("label", { for: "signin-name" }, t("auth.nameLabel")),
    input,
    nameError && h("p", { class: "field-error", role: "alert" }, t("auth.nameRequired")),
    h("button", { type: "submit", class: "primary" }, t("auth.signIn")),
  );
  replaceChildren(root, h("h2", {}, t("auth.signInTitle")), h("p", { id: "signin-hint" }, t("auth.localHint")), form);
  input.focus();
}
