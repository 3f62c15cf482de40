// Steps 1 and 2: choose images (files, a folder, or drag and drop) and what to find in them.
import { FEATURES } from "../results.js";
import { h, replaceChildren } from "./dom.js";

export function renderCompose(root, { t, state, config, actions }) {
  const { accepted, refused } = state.selection;
  const filesInput = h("input", {
    type: "file",
    id: "pick-files",
    multiple: true,
    accept: "image/*,.heic,.heif",
    class: "visually-hidden",
    tabindex: "-1",
    onchange: (event) => actions.addFromInput(event.target),
  });
  const folderInput = h("input", {
    type: "file",
    id: "pick-folder",
    multiple: true,
    webkitdirectory: true,
    class: "visually-hidden",
    tabindex: "-1",
    onchange: (event) => actions.addFromInput(event.target),
  });
  const dropZone = h(
    "div",
    {
      class: "dropzone",
      id: "dropzone",
      ondragover: (event) => {
        event.preventDefault();
        event.currentTarget.classList.add("over");
      },
      ondragleave: (event) => event.currentTarget.classList.remove("over"),
      ondrop: (event) => {
        event.preventDefault();
        event.currentTarget.classList.remove("over");
        actions.addFromDrop(event.dataTransfer);
      },
    },
    h("p", { class: "drop-hint" }, t("pick.dropHint")),
    h("p", { class: "muted" }, t("pick.or")),
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", id: "choose-files", onclick: () => filesInput.click() }, t("pick.chooseFiles")),
      h("button", { type: "button", id: "choose-folder", onclick: () => folderInput.click() }, t("pick.chooseFolder")),
    ),
    filesInput,
    folderInput,
  );
  const totalBytes = accepted.reduce((sum, entry) => sum + entry.file.size, 0);
  const summary = h(
    "div",
    { class: "row selection", "aria-live": "polite" },
    h(
      "p",
      { id: "selection-summary" },
      accepted.length ? t("pick.selected", { count: accepted.length, size: t.bytes(totalBytes) }) : t("pick.none"),
    ),
    (accepted.length > 0 || refused.length > 0) &&
      h("button", { type: "button", class: "link", onclick: actions.clearSelection }, t("pick.clear")),
  );
  const refusedList =
    refused.length > 0 &&
    h(
      "details",
      { class: "refused", id: "refused", open: refused.length <= 10 },
      h("summary", {}, t("pick.refusedTitle", { count: refused.length })),
      h(
        "ul",
        {},
        refused.map((item) =>
          h(
            "li",
            { "data-reason": item.reason },
            t(`pick.refused.${item.reason}`, {
              name: item.name,
              size: t.bytes(item.size),
              limit: t.bytes(config.maxUploadBytes),
            }),
          ),
        ),
      ),
    );

  replaceChildren(
    root,
    h(
      "section",
      { "aria-labelledby": "pick-title" },
      h("h2", { id: "pick-title" }, t("pick.title")),
      dropZone,
      summary,
      refusedList,
    ),
    renderOptions({ t, state, actions }),
  );
}

function renderOptions({ t, state, actions }) {
  const { features, minConfidence } = state.options;
  const output = h(
    "output",
    { id: "min-confidence-value", for: "min-confidence" },
    t("options.minConfidenceValue", { value: minConfidence }),
  );
  const slider = h("input", {
    type: "range",
    id: "min-confidence",
    min: "0",
    max: "100",
    step: "5",
    value: String(minConfidence),
    oninput: (event) => {
      actions.setMinConfidence(Number(event.target.value));
      output.textContent = t("options.minConfidenceValue", { value: event.target.value });
    },
  });
  const noFeature = features.length === 0;
  return h(
    "section",
    { "aria-labelledby": "options-title" },
    h("h2", { id: "options-title" }, t("options.title")),
    h(
      "fieldset",
      { class: "features" },
      h("legend", {}, t("options.features")),
      FEATURES.map((feature) =>
        h(
          "label",
          { class: "check" },
          h("input", {
            type: "checkbox",
            name: "feature",
            value: feature,
            checked: features.includes(feature),
            onchange: (event) => actions.toggleFeature(feature, event.target.checked),
          }),
          t(`feature.${feature}`),
        ),
      ),
    ),
    noFeature && h("p", { class: "field-error", role: "alert" }, t("options.noFeature")),
    h("div", { class: "range" }, h("label", { for: "min-confidence" }, t("options.minConfidence")), slider, output),
    h(
      "div",
      { class: "range" },
      h("label", { for: "batch-name" }, t("options.batchName")),
      h("input", {
        type: "text",
        id: "batch-name",
        maxlength: "200",
        value: state.options.name ?? "",
        oninput: (event) => actions.setBatchName(event.target.value),
      }),
    ),
    h(
      "button",
      {
        type: "button",
        class: "primary",
        id: "start",
        disabled: noFeature || state.selection.accepted.length === 0,
        onclick: actions.start,
      },
      t("options.start"),
    ),
  );
}
