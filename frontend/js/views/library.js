// The library: every image across the user's batches. A search box (a label, or a word of the text),
// filters (batch, faces, moderation), label facets to narrow with one click, a chart of the top labels,
// results that open in the detail view, and the batches with rename and delete (after confirmation).
import { batchTitle, chartBars } from "../library.js";
import { h, replaceChildren } from "./dom.js";

export function renderNav(root, { t, view, actions, signedIn }) {
  root.hidden = !signedIn;
  if (!signedIn) return;
  root.setAttribute("aria-label", t("nav.label"));
  const tab = (name, key) =>
    h(
      "button",
      {
        type: "button",
        id: `nav-${name}`,
        class: view === name ? "tab current" : "tab",
        "aria-current": view === name ? "page" : false,
        onclick: () => actions.showView(name),
      },
      t(key),
    );
  replaceChildren(root, tab("work", "nav.work"), tab("library", "nav.library"));
}

function searchForm(t, library, actions) {
  const { query, batches } = library;
  const box = h("input", {
    id: "library-query",
    type: "search",
    value: query.text,
    placeholder: t(query.mode === "text" ? "library.placeholderText" : "library.placeholderLabel"),
    oninput: (event) => actions.setLibraryQuery({ text: event.target.value }),
  });
  const mode = h(
    "select",
    {
      id: "library-mode",
      "aria-label": t("library.mode"),
      onchange: (event) => actions.setLibraryQuery({ mode: event.target.value }),
    },
    h("option", { value: "label", selected: query.mode === "label" }, t("library.modeLabel")),
    h("option", { value: "text", selected: query.mode === "text" }, t("library.modeText")),
  );
  const batch = h(
    "select",
    { id: "library-batch", onchange: (event) => actions.setLibraryQuery({ batchId: event.target.value }, true) },
    h("option", { value: "" }, t("library.allBatches")),
    batches.map((item) =>
      h("option", { value: item.batchId, selected: item.batchId === query.batchId }, batchTitle(item)),
    ),
  );
  const faces = h(
    "select",
    { id: "library-faces", onchange: (event) => actions.setLibraryQuery({ faces: event.target.value }, true) },
    ["", "with", "without"].map((value) =>
      h("option", { value, selected: query.faces === value }, t(`library.faces.${value || "any"}`)),
    ),
  );
  const flagged = h("input", {
    type: "checkbox",
    id: "library-flagged",
    checked: query.flagged,
    onchange: (event) => actions.setLibraryQuery({ flagged: event.target.checked }, true),
  });
  return h(
    "form",
    {
      class: "library-search",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        actions.searchLibrary();
      },
    },
    h("label", { for: "library-query" }, t("library.searchLabel")),
    h("div", { class: "row" }, box, mode, h("button", { type: "submit", class: "primary", id: "library-go" }, t("library.search"))),
    h(
      "div",
      { class: "row filters" },
      h("span", { class: "filter" }, h("label", { for: "library-batch" }, t("library.batch")), batch),
      h("span", { class: "filter" }, h("label", { for: "library-faces" }, t("library.facesLabel")), faces),
      h("label", { class: "check" }, flagged, t("library.flagged")),
    ),
  );
}

function facetList(t, facets, actions) {
  if (!facets?.labels?.length) return null;
  return h(
    "section",
    { class: "facets", "aria-labelledby": "facets-title" },
    h(
      "h3",
      { id: "facets-title" },
      t(facets.complete ? "library.facetsTitle" : "library.facetsTitleSampled", { count: facets.matches }),
    ),
    h(
      "ul",
      { id: "library-facets", class: "facet-list" },
      facets.labels.map((facet) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "facet",
              "data-label": facet.name,
              "data-count": String(facet.count),
              onclick: () => actions.narrowToLabel(facet.name),
            },
            `${facet.name} `,
            h("span", { class: "count" }, String(facet.count)),
          ),
        ),
      ),
    ),
  );
}

function chart(t, stats) {
  const bars = chartBars(stats?.labels ?? []);
  if (!bars.length) return null;
  const summary = bars.map((bar) => `${bar.name}: ${bar.count}`).join(", ");
  return h(
    "figure",
    { class: "chart", id: "library-chart" },
    h("figcaption", {}, t("library.chartTitle", { count: stats.images })),
    h(
      "ol",
      { class: "bars", role: "img", "aria-label": t("library.chartAlt", { summary }) },
      bars.map((bar) =>
        h(
          "li",
          { class: "bar-row", "data-label": bar.name, "data-count": String(bar.count) },
          h("span", { class: "bar-name" }, bar.name),
          h("span", { class: "bar-track" }, h("span", { class: "bar-fill", style: { width: `${bar.percent}%` } })),
          h("span", { class: "bar-count" }, String(bar.count)),
        ),
      ),
    ),
  );
}

function resultCard(t, hit, actions) {
  return h(
    "li",
    { class: "card", "data-job-id": hit.jobId, "data-filename": hit.filename },
    h(
      "button",
      {
        type: "button",
        class: "card-open",
        id: `open-${hit.jobId}`,
        "aria-label": t("gallery.open", { name: hit.filename }),
        onclick: () => actions.openLibraryDetail(hit.jobId),
      },
      hit.image?.url
        ? h("img", { src: hit.image.url, alt: "", loading: "lazy", class: "thumb" })
        : h("span", { class: "thumb placeholder" }, t("gallery.noPreview")),
    ),
    h("p", { class: "card-name", title: hit.filename }, hit.filename),
    hit.labels.length > 0 && h("p", { class: "card-labels" }, hit.labels.map((label) => label.name).join(", ")),
    hit.faceCount !== undefined && h("p", { class: "card-faces" }, t("gallery.faceCount", { count: hit.faceCount })),
    h(
      "button",
      {
        type: "button",
        class: "small danger",
        "aria-label": t("library.deleteImageNamed", { name: hit.filename }),
        onclick: () => actions.deleteLibraryImage(hit),
      },
      t("library.deleteImage"),
    ),
  );
}

function batchList(t, library, actions) {
  return h(
    "section",
    { class: "library-batches", "aria-labelledby": "library-batches-title" },
    h("h3", { id: "library-batches-title" }, t("library.batchesTitle")),
    library.batches.length === 0 && h("p", { class: "muted" }, t("library.noBatches")),
    h(
      "ul",
      { id: "library-batches" },
      library.batches.map((batch) =>
        h(
          "li",
          { class: "batch-row", "data-batch-id": batch.batchId },
          h("span", { class: "batch-name" }, batchTitle(batch)),
          h("span", { class: "muted" }, t("library.batchSize", { count: batch.total })),
          h(
            "button",
            {
              type: "button",
              class: "small",
              "aria-label": t("library.renameNamed", { name: batchTitle(batch) }),
              onclick: () => actions.renameBatch(batch),
            },
            t("library.rename"),
          ),
          h(
            "button",
            {
              type: "button",
              class: "small danger",
              "aria-label": t("library.deleteBatchNamed", { name: batchTitle(batch) }),
              onclick: () => actions.deleteLibraryBatch(batch),
            },
            t("library.deleteBatch"),
          ),
        ),
      ),
    ),
  );
}

export function renderLibrary(root, { t, library, actions }) {
  const { page, loading, deleting } = library;
  const results = page?.results ?? [];
  replaceChildren(
    root,
    h(
      "section",
      { "aria-labelledby": "library-title" },
      h("h2", { id: "library-title" }, t("library.title")),
      searchForm(t, library, actions),
      h(
        "p",
        { class: "muted", id: "library-status", "aria-live": "polite", "data-loading": String(loading) },
        deleting ? t("library.deleting") : loading ? t("library.loading") : t("library.found", { count: results.length }),
      ),
      h(
        "div",
        { class: "library-grid" },
        h(
          "div",
          { class: "library-side" },
          facetList(t, page?.facets, actions),
          chart(t, library.stats),
          batchList(t, library, actions),
        ),
        h(
          "div",
          { class: "library-main" },
          !loading && results.length === 0 && h("p", { id: "library-empty" }, t("library.empty")),
          h("ul", { class: "gallery", id: "library-results" }, results.map((hit) => resultCard(t, hit, actions))),
          page?.nextToken &&
            h("button", { type: "button", id: "library-more", onclick: actions.moreLibraryResults }, t("library.more")),
        ),
      ),
    ),
  );
}
