// The controller: holds the page state, runs the batch flow (create → upload → submit → poll → results)
// and re-renders the views. I/O goes through ApiClient and the injected upload sender.
import { ApiError, ApiClient, NETWORK_ERROR, retryAfterMs } from "./api.js";
import { Session } from "./auth.js";
import { MAX_IMAGES_PER_REQUEST } from "./contract.js";
import { filesFromDrop, filesFromInput } from "./drop.js";
import { exportFilename, jobsToCsv, jobsToJson } from "./export.js";
import { chunk, partitionFiles } from "./files.js";
import { formatWait, makeTranslator, supportedLanguage } from "./i18n.js";
import { batchSettled, countByStatus, finishedCount, mergeJobs } from "./results.js";
import { LiveUpdates } from "./live.js";
import { sendWithXhr } from "./s3-upload.js";
import { UploadQueue } from "./upload-queue.js";
import { renderAlerts, renderHeader, renderSignIn } from "./views/chrome.js";
import { renderCompose } from "./views/compose.js";
import { renderDetail } from "./views/detail.js";
import { downloadText } from "./views/dom.js";
import { searchParams } from "./library.js";
import { renderLibrary, renderNav } from "./views/library.js";
import { renderBatch, renderGallery } from "./views/results.js";
import { UploadsView } from "./views/uploads.js";

const LANGUAGE_KEY = "imgrec.language";
// The batch on screen survives a page reload (uploads in flight do not; processing goes on server-side).
const BATCH_KEY = "imgrec.batchId";
const JOBS_REFRESH_EVERY = 5;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freshLibrary() {
  return {
    query: { text: "", mode: "label", batchId: "", flagged: false, faces: "" },
    page: null,
    stats: null,
    batches: [],
    loading: false,
    deleting: false,
    detailJob: null,
    generation: 0,
  };
}

function freshBatchState() {
  return {
    creating: false,
    batch: null,
    submittedIds: new Set(),
    submitFailed: false,
    submitResult: null,
    progress: null,
    settled: false,
    jobs: [],
    filters: { status: "", label: "" },
  };
}

export class App {
  constructor(
    config,
    elements,
    { storage = globalThis.localStorage, tabStorage = globalThis.sessionStorage, sendUpload = sendWithXhr } = {},
  ) {
    this.config = config;
    this.el = elements;
    this.storage = storage;
    this.tabStorage = tabStorage;
    this.sendUpload = sendUpload;
    this.session = new Session(config);
    this.api = new ApiClient({ baseUrl: config.apiBaseUrl, getToken: () => this.session.token });
    this.t = makeTranslator(storage.getItem(LANGUAGE_KEY) || config.defaultLanguage || navigator.language);
    this.uploadsView = new UploadsView(elements.uploads);
    this.alerts = [];
    this.alertSeq = 0;
    this.nameError = false;
    this.generation = 0; // bumped on new batch / sign-out so stale polling loops stop
    this.detail = { jobId: null, show: { faces: true, labels: true, text: true } };
    this.view = "work";
    this.library = freshLibrary();
    this.state = {
      selection: { accepted: [], refused: [] },
      options: { features: ["LABELS"], minConfidence: 55 },
      ...freshBatchState(),
    };
    this.queue = this._newQueue();
    this.live = new LiveUpdates({
      url: config.socketUrl,
      getToken: () => this.session.token,
      onEvent: (event) => this._onLiveEvent(event),
      onState: (state, detail) => this._onLiveState(state, detail),
    });
    this.actions = this._actions();
    this.renderScheduled = false;
    elements.dialog.addEventListener("close", () => {
      // Back to the card that opened it (the gallery may have been re-rendered meanwhile).
      const opener =
        this.view === "library"
          ? document.querySelector(`#library-results [data-job-id="${this.detail.jobId}"] .card-open`)
          : document.getElementById(`open-${this.detail.jobId}`);
      this.detail.jobId = null;
      opener?.focus();
    });
  }

  async start() {
    try {
      await this.session.completeCognitoSignIn();
    } catch (error) {
      this._alert("auth.callbackFailed", { reason: error.message });
    }
    this.renderAll();
    if (this.signedIn) this.live.start();
    const batchId = this.tabStorage.getItem(BATCH_KEY);
    if (this.signedIn && batchId) this._resume(batchId);
  }

  _resume(batchId) {
    this.state.batch = { batchId };
    this.live.watch(batchId);
    this.renderAll();
    this.poll({ once: !this.config.progressPolling });
  }

  get signedIn() {
    return Boolean(this.session.token);
  }

  // ---------- rendering ----------

  renderAll() {
    const t = this.t;
    document.documentElement.lang = t.lang;
    document.title = t("app.title");
    document.querySelector(".skip-link").textContent = t("app.skip");
    const ctx = {
      t,
      state: this.state,
      config: this.config,
      session: this.session,
      actions: this.actions,
      signedIn: this.signedIn,
    };
    renderHeader(this.el.header, ctx);
    renderAlerts(this.el.alerts, { t, alerts: this.alerts, actions: this.actions });
    renderNav(this.el.nav, { t, view: this.view, actions: this.actions, signedIn: this.signedIn });
    this.el.signin.hidden = this.signedIn;
    this.el.work.hidden = !this.signedIn || this.view !== "work";
    this.el.library.hidden = !this.signedIn || this.view !== "library";
    if (!this.signedIn) {
      renderSignIn(this.el.signin, { ...ctx, nameError: this.nameError });
      return;
    }
    if (this.view === "library") {
      this._renderLibrary();
      this._renderDetail();
      return;
    }
    this.el.compose.hidden = Boolean(this.state.batch || this.state.creating);
    if (!this.el.compose.hidden) renderCompose(this.el.compose, ctx);
    this._renderProgress();
    this._renderDetail();
  }

  _renderProgress() {
    const ctx = { t: this.t, state: this.state, config: this.config, actions: this.actions, queue: this.queue };
    // Polling re-renders these panels every few seconds: keep a keyboard user's focus where it was.
    const focusedId = document.activeElement?.id;
    this.el.uploads.hidden = this.queue.items.length === 0 && !this.state.creating;
    if (!this.el.uploads.hidden) this.uploadsView.render(ctx);
    renderBatch(this.el.batch, ctx);
    renderGallery(this.el.gallery, ctx);
    if (focusedId && document.activeElement?.id !== focusedId) document.getElementById(focusedId)?.focus();
  }

  _scheduleProgressRender() {
    if (this.renderScheduled) return;
    this.renderScheduled = true;
    requestAnimationFrame(() => {
      this.renderScheduled = false;
      this.uploadsView.render({ t: this.t, state: this.state, queue: this.queue, actions: this.actions });
    });
  }

  _renderLibrary() {
    const focusedId = document.activeElement?.id;
    renderLibrary(this.el.library, { t: this.t, library: this.library, actions: this.actions });
    if (focusedId && document.activeElement?.id !== focusedId) document.getElementById(focusedId)?.focus();
  }

  _renderDetail() {
    const fromLibrary = this.library.detailJob?.jobId === this.detail.jobId ? this.library.detailJob : null;
    const job = fromLibrary ?? this.state.jobs.find((item) => item.jobId === this.detail.jobId);
    if (!job) return;
    const focusedId = document.activeElement?.id;
    renderDetail(this.el.dialog, {
      t: this.t,
      job,
      show: this.detail.show,
      config: this.config,
      actions: this.actions,
    });
    if (focusedId && document.activeElement?.id !== focusedId) document.getElementById(focusedId)?.focus();
  }

  // ---------- alerts ----------

  _alert(key, params = {}, code = null) {
    const duplicate = this.alerts.some(
      (alert) => alert.key === key && JSON.stringify(alert.params) === JSON.stringify(params),
    );
    if (!duplicate) this.alerts.push({ id: ++this.alertSeq, key, params, code });
    renderAlerts(this.el.alerts, { t: this.t, alerts: this.alerts, actions: this.actions });
  }

  // Every API failure ends here and is shown; a 401 also signs the user out.
  _apiFailed(error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === NETWORK_ERROR) this._alert("api.network", {}, error.code);
    else if (error.status === 401) {
      this._alert("auth.sessionExpired", {}, error.code);
      this._resetAll();
      this.live.stop();
      this.session.signOut();
      this.renderAll();
    } else if (error.status === 429) {
      const key = error.code === "RATE_LIMITED" ? "api.rateLimited" : "api.quotaExceeded";
      const wait = formatWait(Number(error.retryAfter) || 60, this.t.lang);
      this._alert(key, { message: error.message, wait }, error.code);
    } else this._alert("api.error", { message: error.message, code: error.code }, error.code);
  }

  // ---------- the batch flow ----------

  _newQueue() {
    return new UploadQueue({
      send: this.sendUpload,
      concurrency: this.config.uploadConcurrency,
      onChange: () => {
        this._scheduleProgressRender();
        this._maybeSubmit();
      },
    });
  }

  async createAndUpload() {
    const { accepted } = this.state.selection;
    const options = { features: this.state.options.features, minConfidence: this.state.options.minConfidence };
    const generation = this.generation;
    this.state.creating = true;
    this.renderAll();
    for (const [index, part] of chunk(accepted, this.config.maxImagesPerRequest).entries()) {
      const images = part.map(({ file, contentType }) => ({ filename: file.name, contentType, size: file.size }));
      let jobs;
      try {
        if (index === 0) {
          const created = await this.api.createBatch(images, options, { name: this.state.options.name?.trim() });
          this.state.batch = { batchId: created.batchId, createdAt: created.createdAt };
          this.tabStorage.setItem(BATCH_KEY, created.batchId);
          this.live.watch(created.batchId); // before any job can finish: no event is missed
          jobs = created.jobs;
        } else {
          jobs = (await this.api.addImages(this.state.batch.batchId, images)).jobs;
        }
      } catch (error) {
        this._apiFailed(error);
        break;
      }
      if (generation !== this.generation) return;
      // Uploading starts with the first slots while the next ones are still being created.
      this.queue.add(
        jobs.map((job, position) => ({
          id: job.jobId,
          name: part[position].file.relativePath || part[position].file.webkitRelativePath || part[position].file.name,
          size: part[position].file.size,
          target: { file: part[position].file, upload: job.upload },
        })),
      );
    }
    this.state.creating = false;
    this.renderAll();
    this._maybeSubmit();
  }

  // Submits as soon as every upload is through; if some failed, waits until the user retries them or
  // chooses to go on without them (after which later successful retries are submitted automatically).
  _maybeSubmit() {
    if (this.state.creating || this.submitting || this.state.submitFailed || !this.state.batch) return;
    const summary = this.queue.summary();
    if (!summary.settled) return;
    const stopped = summary.counts.failed + summary.counts.cancelled;
    if (stopped > 0 && this.state.submittedIds.size === 0) return;
    const ids = this.queue.uploadedIds().filter((id) => !this.state.submittedIds.has(id));
    if (ids.length) this.submit(ids);
  }

  async submit(jobIds) {
    this.submitting = true;
    this.state.submitFailed = false;
    const generation = this.generation;
    const total = { queued: [], missing: [], alreadySubmitted: [] };
    try {
      for (const part of chunk(jobIds, MAX_IMAGES_PER_REQUEST)) {
        const answer = await this.api.submit(this.state.batch.batchId, part);
        for (const key of Object.keys(total)) total[key].push(...(answer[key] ?? []));
        for (const id of part) this.state.submittedIds.add(id);
      }
    } catch (error) {
      this._apiFailed(error);
      this.state.submitFailed = true; // the "Analyse the uploaded images" button offers it again
    } finally {
      this.submitting = false;
    }
    if (generation !== this.generation) return;
    this.uploadsView.render({ t: this.t, state: this.state, queue: this.queue, actions: this.actions });
    if (total.queued.length + total.alreadySubmitted.length + total.missing.length === 0) return;
    const previous = this.state.submitResult;
    this.state.submitResult = previous
      ? Object.fromEntries(Object.keys(total).map((key) => [key, [...previous[key], ...total[key]]]))
      : total;
    this.state.settled = false;
    this._renderProgress();
    this.follow();
  }

  // Progress comes from live events when the socket watches the batch (after one read to catch up),
  // else from polling (unless the config turns polling off).
  follow() {
    if (!this.state.batch || this.state.settled) return;
    if (this.live.isSubscribed(this.state.batch.batchId)) this.poll({ once: true });
    else if (this.config.progressPolling && !this.polling) this.poll();
  }

  _onLiveState(state, { subscribed } = {}) {
    const batchId = this.state.batch?.batchId;
    if (!batchId || !(this.state.submitResult || this.state.progress)) return;
    if (subscribed === batchId) this.poll({ once: true }); // (re)subscribed: read what may have been missed
    else if (state === "closed") this.follow();
  }

  async _onLiveEvent(event) {
    const batchId = this.state.batch?.batchId;
    if (!batchId || event.data?.batchId !== batchId) return;
    const generation = this.generation;
    try {
      if (event.type === "job.finished") {
        const job = await this.api.getJob(event.data.jobId); // its results and thumbnail
        if (generation !== this.generation) return;
        this.state.jobs = mergeJobs(this.state.jobs, [job]);
      } else if (event.type === "batch.completed") {
        await this.refreshJobs(generation);
        if (generation !== this.generation) return;
        this.state.progress = { ...(this.state.progress ?? { batchId }), ...event.data, done: true };
      }
    } catch (error) {
      this._apiFailed(error);
      return;
    }
    this._updateProgress();
    this._renderDetail();
  }

  // Progress from the jobs themselves once every one is known (events move them one by one).
  _updateProgress() {
    const progress = this.state.progress;
    if (progress && this.state.jobs.length === progress.total) {
      this.state.progress = { ...progress, counts: countByStatus(this.state.jobs) };
    }
    this.state.settled = batchSettled(this.state.progress);
    this._renderProgress();
  }

  async poll({ once = false } = {}) {
    const generation = this.generation;
    const batchId = this.state.batch.batchId;
    if (!once) this.polling = true;
    let seenFinished = -1;
    let failures = 0;
    let polls = 0;
    try {
      while (generation === this.generation) {
        let wait;
        try {
          const { batch, retryAfter } = await this.api.getBatch(batchId);
          if (generation !== this.generation) return;
          failures = 0;
          polls += 1;
          // Jobs are re-read when the batch's counters move, and every few polls regardless: if the
          // counters ever lag behind the jobs, the jobs' own statuses still end the wait.
          const finished = finishedCount(batch.counts);
          if (finished !== seenFinished || polls % JOBS_REFRESH_EVERY === 0 || batchSettled(batch)) {
            seenFinished = finished;
            await this.refreshJobs(generation);
            if (generation !== this.generation) return;
          }
          const complete = this.state.jobs.length === batch.total;
          this.state.progress = complete ? { ...batch, counts: countByStatus(this.state.jobs) } : batch;
          this.state.settled = batchSettled(this.state.progress);
          this._renderProgress();
          // Live events take over as soon as the socket watches the batch again.
          if (this.state.settled || once || this.live.isSubscribed(batchId)) return;
          wait = retryAfterMs(retryAfter);
        } catch (error) {
          this._apiFailed(error);
          if (error.status === 404) {
            this._resetAll(); // a remembered batch that is gone (expired, or another user's)
            this.renderAll();
          }
          if (error.status === 401 || error.status === 404 || once) return;
          failures += 1;
          wait = Math.min(30_000, 1000 * 2 ** failures);
        }
        await sleep(wait);
      }
    } finally {
      if (generation === this.generation && !once) this.polling = false;
    }
  }

  async refreshJobs(generation = this.generation) {
    const jobs = await this.api.listAllJobs(this.state.batch.batchId);
    if (generation !== this.generation) return;
    this.state.jobs = mergeJobs(this.state.jobs, jobs);
    this._renderDetail();
  }

  // ---------- the library ----------

  async loadLibrary() {
    const generation = ++this.library.generation;
    this.library.loading = true;
    this._renderLibrary();
    try {
      const [batches, stats, page] = await Promise.all([
        this.api.listBatches(),
        this.api.stats(10),
        this.api.search(searchParams(this.library.query)),
      ]);
      if (generation !== this.library.generation) return;
      Object.assign(this.library, { batches: batches.batches, stats, page });
    } catch (error) {
      this._apiFailed(error);
    } finally {
      if (generation === this.library.generation) this.library.loading = false;
    }
    if (this.view === "library") this._renderLibrary();
  }

  async searchLibrary() {
    const generation = ++this.library.generation;
    this.library.loading = true;
    this._renderLibrary();
    try {
      const page = await this.api.search(searchParams(this.library.query));
      if (generation !== this.library.generation) return;
      this.library.page = page;
    } catch (error) {
      this._apiFailed(error);
    } finally {
      if (generation === this.library.generation) this.library.loading = false;
    }
    this._renderLibrary();
  }

  async moreLibraryResults() {
    const { page } = this.library;
    if (!page?.nextToken) return;
    try {
      const next = await this.api.search(searchParams(this.library.query), { nextToken: page.nextToken });
      this.library.page = { ...page, results: [...page.results, ...next.results], nextToken: next.nextToken };
    } catch (error) {
      this._apiFailed(error);
    }
    this._renderLibrary();
  }

  // A DELETE answers at once when done, else the deletion goes on in the background: wait for it.
  async _deleted(deletion) {
    let current = deletion;
    while (current.status !== "COMPLETED") {
      await sleep(retryAfterMs(null, { fallbackMs: 1000 }));
      current = (await this.api.getDeletion(current.deletionId)).deletion;
    }
    return current;
  }

  async _delete(question, call, after = () => {}) {
    if (!globalThis.confirm(question)) return;
    this.library.deleting = true;
    this._renderLibrary();
    try {
      await this._deleted(await call());
      after();
    } catch (error) {
      this._apiFailed(error);
    } finally {
      this.library.deleting = false;
    }
    await this.loadLibrary();
  }

  _resetAll() {
    if (this.state.batch?.batchId) this.live.unwatch(this.state.batch.batchId);
    this.generation += 1;
    this.polling = false;
    this.submitting = false;
    this.queue.cancelAll();
    this.queue = this._newQueue();
    this.uploadsView.reset();
    Object.assign(this.state, freshBatchState());
    this.tabStorage.removeItem(BATCH_KEY);
    this.state.selection = { accepted: [], refused: [] };
    if (this.el.dialog.open) this.el.dialog.close();
  }

  _addFiles(files) {
    const { accepted, refused } = partitionFiles(files, this.config.maxUploadBytes);
    this.state.selection.accepted.push(...accepted);
    this.state.selection.refused.push(...refused);
    this.renderAll();
  }

  _actions() {
    return {
      showView: (view) => {
        this.view = view;
        this.renderAll();
        if (view === "library") this.loadLibrary();
        document.getElementById(`nav-${view}`)?.focus();
      },
      setBatchName: (name) => {
        this.state.options.name = name;
      },
      setLibraryQuery: (changes, searchNow = false) => {
        Object.assign(this.library.query, changes);
        if (searchNow) this.searchLibrary();
      },
      searchLibrary: () => this.searchLibrary(),
      narrowToLabel: (name) => {
        Object.assign(this.library.query, { text: name, mode: "label" });
        this.searchLibrary();
      },
      moreLibraryResults: () => this.moreLibraryResults(),
      openLibraryDetail: async (jobId) => {
        try {
          this.library.detailJob = await this.api.getJob(jobId);
        } catch (error) {
          this._apiFailed(error);
          return;
        }
        this.actions.openDetail(jobId);
      },
      deleteLibraryImage: (hit) =>
        this._delete(this.t("library.confirmDeleteImage", { name: hit.filename }), () =>
          this.api.deleteJob(hit.jobId),
        ),
      deleteLibraryBatch: (batch) =>
        this._delete(
          this.t("library.confirmDeleteBatch", { name: batch.name || batch.batchId, count: batch.total }),
          () => this.api.deleteBatch(batch.batchId),
          () => {
            if (this.state.batch?.batchId === batch.batchId) this._resetAll();
            if (this.library.query.batchId === batch.batchId) this.library.query.batchId = "";
          },
        ),
      renameBatch: async (batch) => {
        const name = globalThis.prompt(this.t("library.renamePrompt"), batch.name ?? "");
        if (name === null) return;
        try {
          await this.api.updateBatch(batch.batchId, { name: name.trim() || null });
        } catch (error) {
          this._apiFailed(error);
        }
        await this.loadLibrary();
      },
      setLanguage: (language) => {
        this.t = makeTranslator(supportedLanguage(language));
        this.storage.setItem(LANGUAGE_KEY, this.t.lang);
        this.uploadsView.lang = null;
        this.renderAll();
        document.getElementById("language")?.focus();
      },
      signInLocal: (name) => {
        this.nameError = !this.session.signInLocal(name);
        this.alerts = [];
        this.renderAll();
        if (this.signedIn) this.live.start();
      },
      signInCognito: () => this.session.beginCognitoSignIn(),
      signOut: () => {
        this._resetAll();
        this.live.stop();
        this.alerts = [];
        this.session.signOut();
        this.renderAll();
      },
      dismissAlert: (id) => {
        this.alerts = this.alerts.filter((alert) => alert.id !== id);
        renderAlerts(this.el.alerts, { t: this.t, alerts: this.alerts, actions: this.actions });
      },
      addFromInput: (input) => {
        this._addFiles(filesFromInput(input));
        input.value = "";
      },
      addFromDrop: async (dataTransfer) => this._addFiles(await filesFromDrop(dataTransfer)),
      clearSelection: () => {
        this.state.selection = { accepted: [], refused: [] };
        this.renderAll();
      },
      toggleFeature: (feature, on) => {
        const features = new Set(this.state.options.features);
        if (on) features.add(feature);
        else features.delete(feature);
        this.state.options.features = ["LABELS", "FACES", "TEXT", "MODERATION"].filter((name) => features.has(name));
        this.renderAll();
      },
      setMinConfidence: (value) => {
        this.state.options.minConfidence = value;
      },
      start: () => this.createAndUpload(),
      cancelUpload: (id) => this.queue.cancel(id),
      retryUpload: (id) => this.queue.retry(id),
      cancelUploads: () => this.queue.cancelAll(),
      retryUploads: () => this.queue.retryFailed(),
      submitUploaded: () => this.submit(this.queue.uploadedIds().filter((id) => !this.state.submittedIds.has(id))),
      newBatch: () => {
        this._resetAll();
        this.renderAll();
      },
      setFilter: (name, value) => {
        this.state.filters[name] = value;
        renderGallery(this.el.gallery, { t: this.t, state: this.state, config: this.config, actions: this.actions });
        document.getElementById(`filter-${name}`)?.focus();
      },
      openDetail: (jobId) => {
        this.detail.jobId = jobId;
        this._renderDetail();
        if (!this.el.dialog.open) this.el.dialog.showModal();
        document.getElementById("detail-close")?.focus();
      },
      closeDetail: () => this.el.dialog.close(),
      toggleBoxes: (key, on) => {
        this.detail.show = { ...this.detail.show, [key]: on };
        this._renderDetail();
        document.getElementById(`toggle-${key}`)?.focus();
      },
      downloadJson: () =>
        downloadText(
          exportFilename(this.state.batch.batchId, "json"),
          jobsToJson(this.state.progress ?? this.state.batch, this.state.jobs),
          "application/json",
        ),
      downloadCsv: () =>
        downloadText(
          exportFilename(this.state.batch.batchId, "csv"),
          jobsToCsv(this.state.jobs),
          "text/csv;charset=utf-8",
        ),
    };
  }
}
