// Step 3: every file's upload with its own progress bar, overall progress, cancel and retry.
// Rows are kept and updated in place: progress events arrive many times a second for hundreds of files,
// and rebuilding buttons would steal keyboard focus.
import { h, replaceChildren } from "./dom.js";

export function uploadErrorText(t, error) {
  if (!error) return "";
  if (error.kind === "http") {
    return t("upload.httpError", { status: error.status, code: error.code ? `, ${error.code}` : "" });
  }
  return t("upload.networkError");
}

export class UploadsView {
  constructor(root) {
    this.root = root;
    this.rows = new Map();
    this.lang = null;
  }

  reset() {
    this.rows.clear();
    this.lang = null;
    replaceChildren(this.root);
  }

  render({ t, state, queue, actions }) {
    if (this.lang !== t.lang || !this.frame) this._buildFrame(t, actions);
    const summary = queue.summary();
    const done = summary.counts.uploaded;
    const percent = Math.floor(summary.fraction * 100);
    this.overall.value = summary.fraction * 100;
    this.overall.setAttribute("aria-valuetext", t("upload.overall", { done, total: summary.total, percent }));
    this.overallText.textContent = t("upload.overall", { done, total: summary.total, percent });
    const stopped = summary.counts.failed + summary.counts.cancelled;
    this.failedText.textContent = summary.counts.failed
      ? t("upload.failedCount", { count: summary.counts.failed })
      : "";
    this.creating.hidden = !state.creating;
    this.cancelAll.hidden = summary.settled;
    this.retryAll.hidden = stopped === 0;
    const unsubmitted = queue.uploadedIds().filter((id) => !state.submittedIds.has(id)).length;
    const offerSubmit = stopped > 0 || state.submitFailed;
    this.submitPartial.hidden = !(summary.settled && offerSubmit && unsubmitted > 0 && !state.creating);
    this.submitPartial.textContent = t("upload.submitPartial", { count: unsubmitted });
    for (const item of queue.items) this._renderRow(t, item, actions);
    // Once every file is up, the list folds away so the results below come into view; it can be reopened.
    const allUp = summary.settled && stopped === 0 && summary.total > 0;
    this.listToggle.hidden = !allUp;
    this.list.hidden = allUp && !this.expanded;
    this.listToggle.setAttribute("aria-expanded", String(!this.list.hidden));
    this.listToggle.textContent = t(this.list.hidden ? "upload.showList" : "upload.hideList", { count: summary.total });
  }

  _buildFrame(t, actions) {
    this.lang = t.lang;
    this.rows.clear();
    this.overall = h("progress", {
      id: "upload-overall",
      max: "100",
      value: "0",
      "aria-labelledby": "upload-overall-text",
    });
    this.overallText = h("p", { id: "upload-overall-text", "aria-live": "polite" });
    this.failedText = h("p", { class: "failed-count" });
    this.creating = h("p", { class: "muted" }, t("upload.creatingBatch"));
    this.cancelAll = h(
      "button",
      { type: "button", id: "cancel-uploads", onclick: actions.cancelUploads },
      t("upload.cancelAll"),
    );
    this.retryAll = h(
      "button",
      { type: "button", id: "retry-uploads", onclick: actions.retryUploads },
      t("upload.retryFailed"),
    );
    this.submitPartial = h("button", {
      type: "button",
      class: "primary",
      id: "submit-uploaded",
      onclick: actions.submitUploaded,
    });
    this.list = h("ol", { class: "upload-list", id: "upload-list" });
    this.expanded = false;
    this.listToggle = h("button", {
      type: "button",
      class: "link",
      id: "upload-list-toggle",
      "aria-controls": "upload-list",
      onclick: () => {
        this.expanded = this.list.hidden;
        this.list.hidden = !this.expanded;
        this.listToggle.setAttribute("aria-expanded", String(this.expanded));
        this.listToggle.textContent = t(this.expanded ? "upload.hideList" : "upload.showList", {
          count: this.rows.size,
        });
      },
    });
    this.frame = h(
      "section",
      { "aria-labelledby": "upload-title" },
      h("h2", { id: "upload-title" }, t("upload.title")),
      this.creating,
      this.overall,
      this.overallText,
      this.failedText,
      h("div", { class: "row" }, this.cancelAll, this.retryAll, this.submitPartial),
      this.listToggle,
      this.list,
    );
    replaceChildren(this.root, this.frame);
  }

  _renderRow(t, item, actions) {
    let row = this.rows.get(item.id);
    if (!row) {
      const bar = h("progress", {
        max: String(item.size || 1),
        value: "0",
        "aria-label": t("upload.fileProgress", { name: item.name }),
      });
      const state = h("span", { class: "upload-state" });
      const error = h("span", { class: "upload-error" });
      const buttons = h("span", { class: "upload-actions" });
      const element = h(
        "li",
        { class: "upload-row" },
        h("span", { class: "name", title: item.name }, item.name),
        bar,
        state,
        error,
        buttons,
      );
      row = { element, bar, state, error, buttons, shown: null };
      this.rows.set(item.id, row);
      this.list.append(element);
    }
    row.bar.value = item.state === "uploaded" ? item.size || 1 : item.loaded;
    if (row.shown === item.state) return;
    row.shown = item.state;
    row.element.dataset.state = item.state;
    row.state.textContent = t(`upload.state.${item.state}`);
    row.error.textContent = item.state === "failed" ? uploadErrorText(t, item.error) : "";
    const label = (key) => `${t(key)} — ${item.name}`;
    if (item.state === "pending" || item.state === "uploading") {
      replaceChildren(
        row.buttons,
        h(
          "button",
          {
            type: "button",
            class: "small",
            "aria-label": label("upload.cancel"),
            onclick: () => actions.cancelUpload(item.id),
          },
          t("upload.cancel"),
        ),
      );
    } else if (item.state === "failed" || item.state === "cancelled") {
      replaceChildren(
        row.buttons,
        h(
          "button",
          {
            type: "button",
            class: "small",
            "aria-label": label("upload.retry"),
            onclick: () => actions.retryUpload(item.id),
          },
          t("upload.retry"),
        ),
      );
    } else {
      replaceChildren(row.buttons);
    }
  }
}
