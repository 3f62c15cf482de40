// Step 4: batch progress, downloads, and the results gallery with its filters.
import { errorSentence } from "../i18n.js";
import {
  STATUSES,
  errorsOf,
  facesOf,
  filterJobs,
  finishedCount,
  labelChoices,
  labelsOf,
  requestedFeatures,
} from "../results.js";
import { h, replaceChildren } from "./dom.js";

export function renderBatch(root, { t, state, actions }) {
  const { batch, progress, submitResult } = state;
  if (!batch) {
    replaceChildren(root);
    return;
  }
  const total = progress?.total ?? 0;
  const finished = finishedCount(progress?.counts);
  const counts = progress?.counts ?? {};
  replaceChildren(
    root,
    h(
      "section",
      { "aria-labelledby": "batch-title" },
      h("h2", { id: "batch-title" }, t("batch.title")),
      h("p", { class: "muted batch-id" }, t("batch.id", { id: batch.batchId })),
      submitResult &&
        h("p", {}, t("batch.submitted", { count: submitResult.queued.length + submitResult.alreadySubmitted.length })),
      submitResult?.missing.length > 0 &&
        h("p", { class: "warning" }, t("batch.missing", { count: submitResult.missing.length })),
      progress &&
        h("progress", {
          id: "batch-progress",
          max: String(Math.max(total, 1)),
          value: String(finished),
          "aria-labelledby": "batch-progress-text",
        }),
      progress &&
        h(
          "p",
          { id: "batch-progress-text", "aria-live": "polite", "data-settled": String(state.settled) },
          state.settled ? t("batch.done") : t("batch.progress", { finished, total }),
        ),
      progress &&
        h(
          "ul",
          { class: "counts", "aria-label": t("batch.counts") },
          STATUSES.filter((status) => counts[status]).map((status) =>
            h("li", { class: `badge status-${status}` }, `${t(`status.${status}`)}: ${counts[status]}`),
          ),
        ),
      h(
        "div",
        { class: "row" },
        h(
          "button",
          { type: "button", id: "download-json", disabled: state.jobs.length === 0, onclick: actions.downloadJson },
          t("batch.downloadJson"),
        ),
        h(
          "button",
          { type: "button", id: "download-csv", disabled: state.jobs.length === 0, onclick: actions.downloadCsv },
          t("batch.downloadCsv"),
        ),
        h("button", { type: "button", id: "new-batch", onclick: actions.newBatch }, t("batch.new")),
      ),
    ),
  );
}

export function renderGallery(root, { t, state, config, actions }) {
  if (!state.batch || (!state.jobs.length && !state.submitResult)) {
    replaceChildren(root);
    return;
  }
  const { status, label } = state.filters;
  const shown = filterJobs(state.jobs, state.filters);
  const statusSelect = h(
    "select",
    { id: "filter-status", onchange: (event) => actions.setFilter("status", event.target.value) },
    h("option", { value: "" }, t("gallery.all")),
    STATUSES.map((value) => h("option", { value, selected: value === status }, t(`status.${value}`))),
  );
  const labelSelect = h(
    "select",
    { id: "filter-label", onchange: (event) => actions.setFilter("label", event.target.value) },
    h("option", { value: "" }, t("gallery.all")),
    labelChoices(state.jobs).map((name) => h("option", { value: name, selected: name === label }, name)),
  );
  replaceChildren(
    root,
    h(
      "section",
      { "aria-labelledby": "gallery-title" },
      h("h2", { id: "gallery-title" }, t("gallery.title")),
      h(
        "div",
        { class: "filters row" },
        h("span", { class: "filter" }, h("label", { for: "filter-status" }, t("gallery.filterStatus")), statusSelect),
        h("span", { class: "filter" }, h("label", { for: "filter-label" }, t("gallery.filterLabel")), labelSelect),
        h(
          "span",
          { class: "muted", "aria-live": "polite" },
          t("gallery.showing", { shown: shown.length, total: state.jobs.length }),
        ),
      ),
      state.jobs.length === 0 && h("p", { class: "muted" }, t("gallery.loading")),
      state.jobs.length > 0 && shown.length === 0 && h("p", {}, t("gallery.empty")),
      h(
        "ul",
        { class: "gallery", id: "gallery" },
        shown.map((job) => renderCard(t, job, config, actions)),
      ),
    ),
  );
}

function renderCard(t, job, config, actions) {
  const topLabels = labelsOf(job).slice(0, 3);
  const [firstError] = errorsOf(job);
  return h(
    "li",
    { class: "card", "data-job-id": job.jobId, "data-status": job.status, "data-filename": job.filename },
    h(
      "button",
      {
        type: "button",
        class: "card-open",
        id: `open-${job.jobId}`,
        "aria-label": t("gallery.open", { name: job.filename }),
        onclick: () => actions.openDetail(job.jobId),
      },
      job.image?.url
        ? h("img", { src: job.image.url, alt: "", loading: "lazy", class: "thumb" })
        : h("span", { class: "thumb placeholder" }, t("gallery.noPreview")),
    ),
    h("p", { class: "card-name", title: job.filename }, job.filename),
    h("span", { class: `badge status-${job.status}` }, t(`status.${job.status}`)),
    topLabels.length > 0 && h("p", { class: "card-labels" }, topLabels.map((item) => item.name).join(", ")),
    job.results &&
      requestedFeatures(job).includes("FACES") &&
      h(
        "p",
        { class: "card-faces", "data-count": String(facesOf(job).length) },
        t("gallery.faceCount", { count: facesOf(job).length }),
      ),
    firstError &&
      h("p", { class: "card-error", "data-code": firstError.code }, errorSentence(t, firstError.code, config)),
  );
}
