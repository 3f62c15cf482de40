// The detail view: the normalized image with boxes drawn over it (faces, label instances, text lines,
// each switchable), then labels with confidence bars and parents, faces, text lines, moderation labels,
// and a sentence for every error. Opens in a <dialog>: Escape closes it and focus stays inside.
import { boxStyle, collectBoxes } from "../geometry.js";
import { errorSentence } from "../i18n.js";
import { errorsOf, facesOf, labelsOf, moderationOf, requestedFeatures, textLinesOf } from "../results.js";
import { h, replaceChildren } from "./dom.js";

// Which boxes can be switched on, for which requested feature.
const BOX_TOGGLES = [
  ["faces", "detail.boxes.faces", "FACES"],
  ["labels", "detail.boxes.labels", "LABELS"],
  ["text", "detail.boxes.text", "TEXT"],
];

function confidenceBar(t, value) {
  const rounded = t.number(value ?? 0, 1);
  return h(
    "span",
    { class: "confidence" },
    h(
      "span",
      { class: "bar", role: "img", "aria-label": t("detail.confidence", { value: rounded }) },
      h("span", { style: { width: `${Math.max(0, Math.min(100, value ?? 0))}%` } }),
    ),
    h("span", { class: "value", "aria-hidden": "true" }, `${rounded} %`),
  );
}

function boxCaption(t, box) {
  if (box.kind === "face") return t("detail.faceItem", { index: box.index });
  return box.name;
}

function renderStage(t, job, show) {
  if (!job.image?.url) return null;
  const boxes = collectBoxes(job.results, show);
  return h(
    "figure",
    { class: "stage-wrap" },
    h(
      "div",
      // Small images are shown larger (boxes scale with them); tall ones are kept within the screen's height.
      { class: "stage", id: "detail-stage", style: { "--ratio": String(job.image.width / job.image.height) } },
      h("img", { src: job.image.url, alt: t("detail.imageAlt", { name: job.filename }), id: "detail-image" }),
      h(
        "div",
        { class: "boxes", "aria-hidden": "true" },
        boxes.map((box) =>
          h(
            "div",
            { class: `box box-${box.kind}`, "data-kind": box.kind, style: boxStyle(box.box) },
            h("span", { class: "caption" }, boxCaption(t, box)),
          ),
        ),
      ),
    ),
    h("figcaption", { class: "muted" }, t("detail.size", { width: job.image.width, height: job.image.height })),
  );
}

function section(title, id, body) {
  return h("section", { class: "detail-section", "aria-labelledby": id }, h("h3", { id }, title), body);
}

const RESULT_KEYS = { LABELS: "labels", FACES: "faces", TEXT: "text", MODERATION: "moderation" };

// Why a requested feature has no results at all: never "None found", which would claim it looked.
export function notRunReason(job, feature) {
  if (job.featureErrors?.[feature]) return "detail.notRun.featureFailed";
  if (job.resultsExpired) return "detail.notRun.expired";
  if (job.status === "FAILED") return "detail.notRun.jobFailed";
  return "detail.notRun.pending";
}

function listOrNone(t, job, feature, items, renderItem, listClass) {
  if (!requestedFeatures(job).includes(feature)) return h("p", { class: "muted" }, t("detail.notRequested"));
  if (job.results?.[RESULT_KEYS[feature]] === undefined) {
    return h("p", { class: "muted not-run", "data-feature": feature }, t(notRunReason(job, feature)));
  }
  if (!items.length) return h("p", { class: "muted" }, t("detail.none"));
  return h("ul", { class: listClass }, items.map(renderItem));
}

export function renderDetail(dialog, { t, job, show, config, actions }) {
  const features = requestedFeatures(job);
  const errors = errorsOf(job);
  const toggles = h(
    "fieldset",
    { class: "toggles" },
    h("legend", {}, t("detail.show")),
    BOX_TOGGLES.filter(([, , feature]) => features.includes(feature)).map(([key, label]) =>
      h(
        "label",
        { class: "check" },
        h("input", {
          type: "checkbox",
          id: `toggle-${key}`,
          checked: show[key],
          onchange: (event) => actions.toggleBoxes(key, event.target.checked),
        }),
        t(label),
      ),
    ),
  );
  replaceChildren(
    dialog,
    h(
      "div",
      { class: "detail-head" },
      h("h2", { id: "detail-title" }, job.filename),
      h("span", { class: `badge status-${job.status}` }, t(`status.${job.status}`)),
      h(
        "button",
        { type: "button", class: "close", id: "detail-close", onclick: actions.closeDetail },
        t("detail.close"),
      ),
    ),
    errors.length > 0 &&
      section(
        t("detail.errorTitle"),
        "detail-errors-title",
        h(
          "ul",
          { class: "errors", id: "detail-errors" },
          errors.map((error) => {
            const sentence = errorSentence(t, error.code, config);
            return h(
              "li",
              { "data-code": error.code },
              h(
                "p",
                { class: "sentence" },
                error.feature
                  ? t("detail.featureError", { feature: t(`featureShort.${error.feature}`), sentence })
                  : sentence,
              ),
              error.message && h("p", { class: "muted technical" }, t("detail.technical", { message: error.message })),
            );
          }),
        ),
      ),
    job.image?.url && toggles,
    renderStage(t, job, show),
    job.original &&
      h(
        "p",
        { class: "muted" },
        t("detail.original", {
          width: job.original.width,
          height: job.original.height,
          format: job.original.format,
          size: t.bytes(job.original.bytes),
        }),
      ),
    h(
      "div",
      { class: "detail-grid" },
      section(
        t("detail.labels"),
        "detail-labels-title",
        listOrNone(
          t,
          job,
          "LABELS",
          labelsOf(job),
          (label) =>
            h(
              "li",
              {},
              h("span", { class: "label-name" }, label.name),
              label.parents.length > 0 &&
                h("span", { class: "muted parents" }, ` ${t("detail.parents", { parents: label.parents.join(", ") })}`),
              confidenceBar(t, label.confidence),
            ),
          "labels",
        ),
      ),
      section(
        t("detail.faces"),
        "detail-faces-title",
        listOrNone(
          t,
          job,
          "FACES",
          facesOf(job),
          (face) =>
            h("li", {}, t("detail.faceSummary", { index: face.index, confidence: t.number(face.confidence ?? 0, 1) })),
          "faces",
        ),
      ),
      section(
        t("detail.text"),
        "detail-text-title",
        listOrNone(
          t,
          job,
          "TEXT",
          textLinesOf(job),
          (line) => h("li", {}, h("q", {}, line.text), confidenceBar(t, line.confidence)),
          "text-lines",
        ),
      ),
      section(
        t("detail.moderation"),
        "detail-moderation-title",
        listOrNone(
          t,
          job,
          "MODERATION",
          moderationOf(job),
          (label) =>
            h(
              "li",
              {},
              h("span", { class: "label-name" }, label.name),
              label.parent &&
                h("span", { class: "muted parents" }, ` ${t("detail.parents", { parents: label.parent })}`),
              confidenceBar(t, label.confidence),
            ),
          "moderation",
        ),
      ),
    ),
  );
}
