// The page frame: header (title, language, who is signed in, sign-out), alerts, and the sign-in panel.
import { describeDomains, signUpVerdict } from "../sign-up.js";
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

// "Create an account": only when config.json allows it. A refused address is explained here, before the
// user leaves for the sign-up page (where the server's check would refuse it with its own sentence).
function renderSignUp({ t, signUp, session }) {
  const { rule } = signUp;
  const anyone = !rule.exact.length && !rule.parents.length;
  const input = h("input", {
    id: "signup-email",
    name: "email",
    type: "email",
    autocomplete: "email",
    required: true,
    "aria-describedby": "signup-hint",
  });
  const message = h("p", { id: "signup-refused", class: "field-error", role: "alert", hidden: true });
  const form = h(
    "form",
    {
      class: "signup",
      onsubmit: (event) => {
        event.preventDefault();
        const verdict = signUpVerdict(input.value, rule);
        if (verdict.allowed) {
          message.hidden = true;
          session.beginCognitoSignUp();
          return;
        }
        message.textContent =
          verdict.reason === "domain"
            ? t("signUp.refused", { domain: verdict.domain, domains: describeDomains(rule, t) })
            : t("signUp.notAnAddress");
        message.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.focus();
      },
    },
    h("label", { for: "signup-email" }, t("signUp.emailLabel")),
    input,
    message,
    h("button", { type: "submit", id: "sign-up" }, t("signUp.create")),
  );
  return h(
    "section",
    { class: "signup-panel", "aria-labelledby": "signup-title" },
    h("h3", { id: "signup-title" }, t("signUp.title")),
    h(
      "p",
      { id: "signup-hint" },
      anyone ? t("signUp.hint") : `${t("signUp.domains", { domains: describeDomains(rule, t) })} ${t("signUp.hint")}`,
    ),
    form,
  );
}

export function renderSignIn(root, { t, config, actions, nameError, session }) {
  if (config.auth.mode === "cognito") {
    replaceChildren(
      root,
      h("h2", {}, t("auth.signInTitle")),
      h("p", {}, t("auth.cognitoHint")),
      h("button", { type: "button", class: "primary", onclick: actions.signInCognito }, t("auth.signInCognito")),
      config.auth.signUp && renderSignUp({ t, signUp: config.auth.signUp, session }),
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
