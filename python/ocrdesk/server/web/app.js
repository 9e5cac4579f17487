/* ocrdesk dashboard: a plain client of the Open API (no build step, no libraries).
 *
 * Views are switched by the URL fragment: #/ (dashboard, filters in the fragment's query),
 * #/records/<id>, #/templates. The API key lives in sessionStorage and goes out as X-API-Key.
 * Status changes come from the SSE stream GET /v1/openapi/events when the server answers it
 * with text/event-stream; otherwise the page polls the stats (cheap: counters) and reloads the
 * visible page of the history only when they changed. Every text from the server is put in the
 * page with textContent, never as HTML.
 */
(function () {
  "use strict";

  var API = "/v1/openapi";
  var KEY_STORE = "ocrdesk.apiKey";
  var PROJECT_STORE = "ocrdesk.projectId";
  var POLL_MS = 4000;
  var FINAL = { completed: 1, failed: 1, retention_expired: 1 };
  // SPEC §6, used until the server tells which formats it accepts (its 400 message lists them).
  var ALL_FORMATS = ["json", "text", "xml", "html", "csv", "pdf", "docx", "hocr", "alto", "tsv"];
  var STATUS_LABEL = { pending: "Pending", queued: "Queued", in_progress: "In progress", completed: "Completed",
    failed: "Failed", retention_expired: "Retention expired" };
  var SVG_NS = "http://www.w3.org/2000/svg";

  var state = {
    key: null, projects: [], project: null, templates: [], formats: null,
    view: null, query: {}, historyJson: "", lastStats: "", record: null, recordId: null,
    pageNo: 1, pageCache: {}, words: null, activeField: null, objectUrls: [],
    live: null, lastEventId: null, pollTimer: null, backoffUntil: 0, refreshTimer: null, uploadsRunning: 0
  };

  // ---------------------------------------------------------------- small helpers
  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "text") node.textContent = value;
        else if (name === "className") node.className = value;
        else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? "" : value);
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function show(node, visible) { node.hidden = !visible; }

  function fmtNumber(n) { return typeof n === "number" ? n.toLocaleString() : "–"; }

  function fmtDate(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return isNaN(d.getTime()) ? iso : d.toLocaleString();
  }

  function fmtBytes(s) {
    var n = Number(s);
    if (!isFinite(n)) return "";
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1048576).toFixed(1) + " MiB";
  }

  function fmtConfidence(c) {
    if (typeof c !== "number") return "–";
    var pct = c <= 1 ? c * 100 : c;  // extractors may report 0..1 or 0..100
    return Math.round(pct) + "%";
  }

  function confidencePct(c) { return typeof c !== "number" ? null : (c <= 1 ? c * 100 : c); }

  var toastTimer = null;
  function toast(message, bad) {
    var t = $("toast");
    t.textContent = message;
    t.className = "toast" + (bad ? " bad" : "");
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, bad ? 7000 : 3500);
  }

  function errorText(err) {
    if (!err) return "Something went wrong";
    if (Array.isArray(err.message)) return err.message.join("\n");
    return String(err.message || err);
  }

  function showError(node, err) {
    if (!err) { node.hidden = true; node.textContent = ""; return; }
    node.textContent = errorText(err);
    node.hidden = false;
  }

  // ---------------------------------------------------------------- API access
  function ApiError(status, message, body) {
    this.status = status; this.message = message; this.body = body;
  }

  function buildUrl(path, query) {
    var params = new URLSearchParams();
    if (state.project) params.set("projectId", state.project.id);
    Object.keys(query || {}).forEach(function (k) {
      var v = query[k];
      if (v !== undefined && v !== null && v !== "") params.set(k, v);
    });
    var qs = params.toString();
    return API + path + (qs ? (path.indexOf("?") >= 0 ? "&" : "?") + qs : "");
  }

  function headers(extra) {
    var h = { "X-API-Key": state.key || "" };
    Object.keys(extra || {}).forEach(function (k) { h[k] = extra[k]; });
    return h;
  }

  function handleFailure(response, body) {
    var message = body && body.message !== undefined ? body.message : (response.statusText || "HTTP " + response.status);
    if (response.status === 401 && state.key) {
      signOut(Array.isArray(message) ? message.join(", ") : message);
    } else if (response.status === 429) {
      var wait = Number(response.headers.get("Retry-After") || "10");
      state.backoffUntil = Date.now() + wait * 1000;
      toast("Too many requests for this key: waiting " + wait + " s.", true);
    }
    return new ApiError(response.status, message, body);
  }

  // JSON in, JSON out. Throws ApiError with the server's message.
  function api(path, options) {
    options = options || {};
    var init = { method: options.method || "GET", headers: headers(options.json !== undefined ? { "Content-Type": "application/json" } : {}) };
    if (options.json !== undefined) init.body = JSON.stringify(options.json);
    return fetch(buildUrl(path, options.query), init).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (!response.ok) throw handleFailure(response, body);
        return body;
      });
    });
  }

  // A file from the API (needs the key, so no plain <a href>): resolves to {blob, name, response}.
  function apiBlob(path, query) {
    return fetch(buildUrl(path, query), { headers: headers() }).then(function (response) {
      if (!response.ok) {
        return response.text().then(function (text) {
          var body = null;
          try { body = JSON.parse(text); } catch (e) { body = null; }
          throw handleFailure(response, body);
        });
      }
      return response.blob().then(function (blob) {
        return { blob: blob, name: fileNameFrom(response.headers.get("Content-Disposition")), response: response };
      });
    });
  }

  function fileNameFrom(disposition) {
    if (!disposition) return null;
    var star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
    if (star) { try { return decodeURIComponent(star[1]); } catch (e) { /* fall through */ } }
    var plain = /filename="([^"]*)"/i.exec(disposition);
    return plain ? plain[1] : null;
  }

  function objectUrl(blob) {
    var url = URL.createObjectURL(blob);
    state.objectUrls.push(url);
    return url;
  }

  function releaseObjectUrls() {
    state.objectUrls.forEach(function (u) { URL.revokeObjectURL(u); });
    state.objectUrls = [];
  }

  // Multipart upload with progress events (fetch has no upload progress).
  function xhrUpload(path, form, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", API + path);
      xhr.setRequestHeader("X-API-Key", state.key);
      xhr.responseType = "text";
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else {
          if (xhr.status === 401) signOut("The key was refused");
          reject(new ApiError(xhr.status, body && body.message ? body.message : "Upload failed (HTTP " + xhr.status + ")", body));
        }
      });
      xhr.addEventListener("error", function () { reject(new ApiError(0, "Network error during the upload")); });
      xhr.send(form);
    });
  }

  // ---------------------------------------------------------------- sign-in
  function signIn(key) {
    state.key = key;
    return fetch(API + "/projects", { headers: headers() }).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (e) { body = null; }
        if (!response.ok) {
          state.key = null;
          var msg = body && body.message ? body.message : "HTTP " + response.status;
          throw new ApiError(response.status, response.status === 401 ? "This API key was refused (" + msg + ")" : msg);
        }
        return body;
      });
    }).then(function (projects) {
      sessionStorage.setItem(KEY_STORE, key);
      state.projects = projects || [];
      var wanted = sessionStorage.getItem(PROJECT_STORE);
      state.project = state.projects.filter(function (p) { return p.id === wanted; })[0] || state.projects[0] || null;
      if (!state.project) throw new ApiError(400, "This key has no active project");
      renderProjects();
      $("signin").hidden = true;
      $("app").hidden = false;
      startLive();
      return loadTemplates().then(route);
    });
  }

  function signOut(reason) {
    stopLive();
    sessionStorage.removeItem(KEY_STORE);
    state.key = null; state.project = null; state.projects = []; state.templates = [];
    state.historyJson = ""; state.lastStats = ""; state.record = null; state.formats = null; state.formatsProbe = null; state.lastEventId = null;
    releaseObjectUrls();
    $("app").hidden = true;
    $("signin").hidden = false;
    $("apiKey").value = "";
    showError($("signin-error"), reason ? { message: reason } : null);
    $("apiKey").focus();
  }

  function renderProjects() {
    var select = $("project-select");
    clear(select);
    state.projects.forEach(function (p) {
      select.appendChild(el("option", { value: p.id, text: p.name, selected: p.id === state.project.id }));
    });
    show($("project-picker"), state.projects.length > 1);
    $("project-name").textContent = state.projects.length > 1 ? "" : "Project: " + state.project.name;
    sessionStorage.setItem(PROJECT_STORE, state.project.id);
  }

  // ---------------------------------------------------------------- routing
  function parseHash() {
    var hash = location.hash.replace(/^#/, "") || "/";
    var parts = hash.split("?");
    var query = {};
    new URLSearchParams(parts[1] || "").forEach(function (v, k) { query[k] = v; });
    var path = parts[0];
    var m = /^\/records\/([0-9a-f]{24})$/.exec(path);
    if (m) return { view: "record", id: m[1], query: query };
    if (path === "/templates") return { view: "templates", query: query };
    return { view: "dashboard", query: query };
  }

  function route() {
    if (!state.key) return Promise.resolve();
    var r = parseHash();
    var changed = r.view !== state.view;
    state.view = r.view;
    ["dashboard", "record", "templates"].forEach(function (v) { show($("view-" + v), v === r.view); });
    document.querySelectorAll("[data-nav]").forEach(function (a) {
      if ((a.getAttribute("data-nav") === r.view) || (r.view === "record" && a.getAttribute("data-nav") === "dashboard")) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    var done;
    if (r.view === "dashboard") {
      state.query = r.query;
      document.title = "ocrdesk — dashboard";
      done = Promise.all([loadStats(), loadHistory(true), loadBatches()]);
    } else if (r.view === "record") {
      document.title = "ocrdesk — record";
      done = openRecord(r.id);
    } else {
      document.title = "ocrdesk — templates";
      done = loadTemplates().then(renderTemplates);
    }
    if (changed) {
      var heading = { dashboard: "dash-title", record: "record-title", templates: "templates-title" }[r.view];
      var h = $(heading);
      if (h && document.activeElement && document.activeElement !== $("apiKey")) h.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
    return done.catch(function (err) { if (!(err instanceof ApiError && err.status === 401)) toast(errorText(err), true); });
  }

  function setQuery(changes, resetPage) {
    var q = {};
    Object.keys(state.query).forEach(function (k) { q[k] = state.query[k]; });
    Object.keys(changes).forEach(function (k) {
      if (changes[k] === "" || changes[k] === null || changes[k] === undefined) delete q[k];
      else q[k] = String(changes[k]);
    });
    if (resetPage) delete q.page;
    var qs = new URLSearchParams(q).toString();
    var target = "#/" + (qs ? "?" + qs : "");
    if (location.hash === target) route();
    else location.hash = target;
  }

  // ---------------------------------------------------------------- stats and history
  function loadStats() {
    return api("/processing-history/stats").then(function (stats) {
      state.lastStats = JSON.stringify(stats);
      renderStats(stats);
      return stats;
    });
  }

  function renderStats(stats) {
    document.querySelectorAll("#stats [data-stat]").forEach(function (card) {
      card.querySelector(".stat-value").textContent = fmtNumber(stats[card.getAttribute("data-stat")]);
    });
  }

  function fillFilterForm() {
    var form = $("filters");
    ["search", "status", "templateId", "batchId", "fromDate", "toDate", "limit"].forEach(function (name) {
      var field = form.elements[name];
      var value = state.query[name] || (name === "limit" ? "25" : "");
      if (field.tagName === "SELECT" && value && !Array.prototype.some.call(field.options, function (o) { return o.value === value; })) {
        field.appendChild(el("option", { value: value, text: value }));
      }
      if (document.activeElement !== field) field.value = value;
    });
  }

  function historyQuery() {
    var q = state.query;
    return { page: q.page || 1, limit: q.limit || 25, status: q.status, templateId: q.templateId, batchId: q.batchId,
      fromDate: q.fromDate, toDate: q.toDate, search: q.search };
  }

  function loadHistory(force) {
    fillFilterForm();
    return api("/processing-history", { query: historyQuery() }).then(function (page) {
      showError($("history-error"), null);
      var json = JSON.stringify(page);
      if (!force && json === state.historyJson) return page;
      state.historyJson = json;
      renderHistory(page);
      return page;
    }, function (err) {
      if (err instanceof ApiError && err.status === 400) { showError($("history-error"), err); return null; }
      throw err;
    });
  }

  function renderHistory(page) {
    var body = $("history-body");
    clear(body);
    if (!page.data.length) {
      body.appendChild(el("tr", null, [el("td", { colspan: "6", className: "empty", text: "No records match." })]));
    }
    page.data.forEach(function (r) {
      body.appendChild(el("tr", { "data-id": r.id, "data-status": r.status }, [
        el("td", { className: "file" }, [el("a", { href: "#/records/" + r.id, text: r.fileName || "(unnamed)" })]),
        el("td", null, [statusBadge(r.status)]),
        el("td", { className: "c-template", text: r.templateName || "—" }),
        el("td", { className: "c-pages", text: r.pageCount != null ? String(r.pageCount) : "—" }),
        el("td", { className: "c-priority", text: r.priority || "" }),
        el("td", null, [el("time", { datetime: r.createdAt, text: fmtDate(r.createdAt) })])
      ]));
    });
    var p = page.pagination;
    var pages = Math.max(1, p.pages);
    $("page-info").textContent = "Page " + p.page.toLocaleString() + " of " + pages.toLocaleString() +
      " · " + p.total.toLocaleString() + " record" + (p.total === 1 ? "" : "s");
    var pager = document.querySelector(".pager");
    pager.dataset.page = p.page; pager.dataset.pages = pages;
    pager.querySelector("[data-page=first]").disabled = p.page <= 1;
    pager.querySelector("[data-page=prev]").disabled = p.page <= 1;
    pager.querySelector("[data-page=next]").disabled = p.page >= pages;
    pager.querySelector("[data-page=last]").disabled = p.page >= pages;
  }

  function statusBadge(status) {
    return el("span", { className: "badge " + status, text: STATUS_LABEL[status] || status });
  }

  function loadBatches() {
    return api("/batch", { query: { limit: 100 } }).then(function (page) {
      var select = $("filters").elements.batchId;
      var current = state.query.batchId || "";
      clear(select);
      select.appendChild(el("option", { value: "", text: "Any" }));
      (page && page.data || []).forEach(function (b) {
        select.appendChild(el("option", { value: b.id, text: b.name + " (" + b.totalFiles + ")" }));
      });
      fillFilterForm();
      select.value = current;
    }, function () { /* batches are optional for the dashboard */ });
  }

  function loadTemplates() {
    return api("/templates").then(function (templates) {
      state.templates = templates || [];
      var upload = $("upload-template"), filter = $("filters").elements.templateId;
      var keepUpload = upload.value, keepFilter = state.query.templateId || filter.value;
      clear(upload); clear(filter);
      upload.appendChild(el("option", { value: "", text: "No template (text only)" }));
      filter.appendChild(el("option", { value: "", text: "Any" }));
      state.templates.forEach(function (t) {
        if (t.isActive) upload.appendChild(el("option", { value: t.templateId, text: t.name }));
        filter.appendChild(el("option", { value: t.templateId, text: t.name + (t.isActive ? "" : " (inactive)") }));
      });
      upload.value = keepUpload; if (upload.value !== keepUpload) upload.value = "";
      filter.value = keepFilter || "";
      return state.templates;
    });
  }

  // ---------------------------------------------------------------- live updates (SSE, else polling)
  function setLive(mode, text) {
    var live = $("live");
    live.className = "live " + mode;
    live.textContent = text;
  }

  function startLive() {
    stopLive();
    var controller = new AbortController();
    state.live = { controller: controller, mode: "connecting" };
    setLive("", "Connecting…");
    var extra = { Accept: "text/event-stream" };
    if (state.lastEventId) extra["Last-Event-ID"] = state.lastEventId;  // resume without missing changes
    fetch(buildUrl("/events"), { headers: headers(extra), signal: controller.signal, cache: "no-store" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.status === 200 && type.indexOf("text/event-stream") === 0 && response.body) {
          clearInterval(state.pollTimer);
          state.pollTimer = null;
          state.live.mode = "sse";
          setLive("sse", "Live");
          return readEvents(response.body.getReader(), controller);
        }
        if (response.body) response.body.cancel().catch(function () {});
        startPolling();
        return null;
      })
      .catch(function () {
        if (!controller.signal.aborted) startPolling();
      });
  }

  function readEvents(reader, controller) {
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) throw new Error("stream ended");
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n");
        var cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          var raw = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          handleEvent(raw);
        }
        return pump();
      });
    }
    return pump().catch(function () {
      if (controller.signal.aborted) return;
      // The stream broke: poll meanwhile and try the stream again shortly.
      startPolling();
      setTimeout(function () { if (state.key && state.live && state.live.controller === controller) startLive(); }, 5000);
    });
  }

  function handleEvent(raw) {
    var type = "message", data = [];
    raw.split("\n").forEach(function (line) {
      if (!line || line[0] === ":") return;
      var i = line.indexOf(":");
      var field = i < 0 ? line : line.slice(0, i);
      var value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
      else if (field === "id") state.lastEventId = value;
    });
    if (!data.length && type === "message") return;  // comments / keep-alives
    var payload = null;
    try { payload = JSON.parse(data.join("\n")); } catch (e) { payload = null; }
    scheduleRefresh(type, payload);
  }

  function scheduleRefresh(type, payload) {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(function () { refreshVisible(type, payload); }, 250);
  }

  function startPolling() {
    clearInterval(state.pollTimer);
    if (state.live) state.live.mode = "polling";
    setLive("polling", "Polling");
    state.pollTimer = setInterval(pollTick, POLL_MS);
  }

  function stopLive() {
    clearInterval(state.pollTimer);
    state.pollTimer = null;
    if (state.live) state.live.controller.abort();
    state.live = null;
  }

  function pollTick() {
    if (!state.key || document.hidden || Date.now() < state.backoffUntil) return;
    if (state.view === "dashboard") {
      api("/processing-history/stats").then(function (stats) {
        var json = JSON.stringify(stats);
        if (json !== state.lastStats) {
          state.lastStats = json;
          renderStats(stats);
          return loadHistory(false);
        }
        return null;
      }).catch(function () { /* shown by handleFailure where it matters */ });
    } else if (state.view === "record" && state.record && !FINAL[state.record.status]) {
      refreshRecord();
    }
  }

  function refreshVisible() {
    if (!state.key) return;
    if (state.view === "dashboard") {
      loadStats().then(function () { return loadHistory(false); }).catch(function () {});
    } else if (state.view === "record" && state.record && !FINAL[state.record.status]) {
      refreshRecord();
    }
  }

  // ---------------------------------------------------------------- upload
  function handleFiles(fileList) {
    var files = Array.prototype.slice.call(fileList || []);
    if (!files.length) return;
    var templateId = $("upload-template").value;
    var priority = $("upload-priority").value;
    if ($("upload-as-batch").checked && files.length > 0) {
      var name = $("upload-batch-name").value.trim();
      for (var i = 0; i < files.length; i += 50) {  // the server takes up to 50 files per batch
        uploadBatch(files.slice(i, i + 50), templateId, priority, name);
      }
    } else {
      files.forEach(function (f) { uploadOne(f, templateId, priority); });
    }
    $("file-input").value = "";
  }

  function uploadRow(label) {
    var bar = el("progress", { max: "100", value: "0", "aria-label": "Upload progress of " + label });
    var stateText = el("span", { className: "state", text: "Uploading…" });
    var row = el("li", { className: "upload-row" }, [el("span", { className: "name", title: label, text: label }), bar, stateText]);
    $("uploads").prepend(row);
    return {
      row: row,
      progress: function (f) { bar.value = Math.round(f * 100); },
      done: function (node) { bar.value = 100; clear(stateText); stateText.appendChild(node); },
      fail: function (err) { row.classList.add("failed"); stateText.textContent = errorText(err); }
    };
  }

  function uploadForm(templateId, priority) {
    var form = new FormData();
    form.append("projectId", state.project.id);
    if (templateId) form.append("templateId", templateId);
    form.append("priority", priority);
    return form;
  }

  function afterUpload() {
    state.uploadsRunning -= 1;
    if (state.view === "dashboard") {
      loadStats().then(function () { return loadHistory(false); }).then(loadBatches).catch(function () {});
    }
  }

  function uploadOne(file, templateId, priority) {
    var ui = uploadRow(file.name);
    var form = uploadForm(templateId, priority);
    form.append("file", file, file.name);
    state.uploadsRunning += 1;
    xhrUpload("/upload", form, ui.progress).then(function (res) {
      ui.done(el("a", { href: "#/records/" + res.processingHistoryId, text: "Uploaded — open" }));
    }, ui.fail).then(afterUpload);
  }

  function uploadBatch(files, templateId, priority, name) {
    var ui = uploadRow(files.length + " files: " + files.map(function (f) { return f.name; }).join(", "));
    var form = uploadForm(templateId, priority);
    if (name) form.append("name", name);
    files.forEach(function (f) { form.append("files", f, f.name); });
    state.uploadsRunning += 1;
    xhrUpload("/batch/upload", form, ui.progress).then(function (batch) {
      ui.done(el("a", { href: "#/?batchId=" + batch.id, text: "Batch “" + batch.name + "” — show" }));
    }, ui.fail).then(afterUpload);
  }

  // ---------------------------------------------------------------- record view
  function openRecord(id) {
    if (state.recordId !== id) {
      releaseObjectUrls();
      state.recordId = id; state.record = null; state.pageNo = 1; state.pageCache = {}; state.words = null; state.activeField = null;
      $("record-title").textContent = "Loading…";
      clear($("record-meta")); clear($("downloads")); clear($("fields-body")); clear($("page-view"));
      $("record-text").textContent = "";
      $("record-status").textContent = "";
    }
    return api("/processing-history/" + id).then(renderRecord, function (err) {
      if (err instanceof ApiError && err.status === 404) {
        $("record-title").textContent = "Record not found";
        showError($("record-error"), err);
        return null;
      }
      throw err;
    });
  }

  function refreshRecord() {
    var id = state.recordId;
    return api("/processing-history/" + id).then(function (record) {
      if (state.recordId !== id) return;
      if (!state.record || record.status !== state.record.status || record.updatedAt !== state.record.updatedAt) renderRecord(record);
    }).catch(function () {});
  }

  function resultOf(record) {
    var r = record.processingResult;
    if (typeof r === "string") { try { r = JSON.parse(r); } catch (e) { r = null; } }
    return r && typeof r === "object" ? r : null;
  }

  function renderRecord(record) {
    var wasFinal = state.record && FINAL[state.record.status];
    state.record = record;
    var result = resultOf(record);
    $("record-title").textContent = record.fileName || "(unnamed)";
    var status = $("record-status");
    status.className = "badge " + record.status;
    status.textContent = STATUS_LABEL[record.status] || record.status;

    var meta = $("record-meta");
    clear(meta);
    [["Record id", record.id], ["Template", record.templateName || "—"], ["Pages", record.pageCount != null ? String(record.pageCount) : "—"],
      ["Size", fmtBytes(record.fileSize)], ["Type", record.mimeType], ["Priority", record.priority],
      ["Batch", record.batchId ? el("a", { href: "#/?batchId=" + record.batchId, text: record.batchId.slice(-8) }) : "—"],
      ["Created", fmtDate(record.createdAt)], ["Completed", fmtDate(record.completedAt) || "—"]
    ].forEach(function (pair) {
      meta.appendChild(el("div", null, [el("dt", { text: pair[0] }), el("dd", null, [pair[1]])]));
    });
    if (result && result._meta && typeof result._meta.ocrSeconds === "number") {
      meta.appendChild(el("div", null, [el("dt", { text: "OCR time" }), el("dd", { text: result._meta.ocrSeconds + " s" })]));
    }
    showError($("record-error"), record.status === "failed" ? { message: "Failed: " + (record.error || "unknown error") } : null);

    renderFields(result);
    renderPageNav();
    if (record.status === "completed") {
      renderDownloads();
      renderText(result);
      if (!wasFinal) loadWords(result).then(function () { return showPage(state.pageNo); });
    } else {
      clear($("downloads"));
      $("downloads").appendChild(el("span", { className: "muted", text: FINAL[record.status] ? "No result to download." : "Downloads appear when processing completes." }));
      $("record-text").textContent = FINAL[record.status] ? "" : "Processing…";
      showPage(state.pageNo);
    }
  }

  function pageCount() {
    var record = state.record, result = resultOf(record) || {};
    var n = record.pageCount || (Array.isArray(result.pages) ? result.pages.length : 0) ||
      (result._meta && typeof result._meta.pages === "number" ? result._meta.pages : 0) ||
      (state.words ? state.words.length : 0);
    return Math.max(1, n || 1);
  }

  function renderPageNav() {
    var n = pageCount();
    if (state.pageNo > n) state.pageNo = n;
    $("page-label").textContent = state.pageNo + " / " + n;
    $("page-prev").disabled = state.pageNo <= 1;
    $("page-next").disabled = state.pageNo >= n;
  }

  function renderText(result) {
    var pre = $("record-text");
    var text = null;
    if (result && typeof result.text === "string") text = result.text;
    else if (result && Array.isArray(result.pages) && result.pages.length && typeof result.pages[0].text === "string") {
      text = result.pages.map(function (p) { return p.text; }).join("\f");
    }
    if (text !== null) { pre.textContent = text.replace(/\f/g, "\n\n──────── page break ────────\n\n"); return; }
    pre.textContent = "Loading…";
    var id = state.recordId;
    apiBlob("/processing-history/" + id + "/result", { format: "text" }).then(function (file) { return file.blob.text(); })
      .then(function (t) { if (state.recordId === id) pre.textContent = t.replace(/\f/g, "\n\n──────── page break ────────\n\n"); })
      .catch(function () { if (state.recordId === id) pre.textContent = "(no text)"; });
  }

  function fieldEntries(result) {
    if (!result || Array.isArray(result)) return [];
    var meta = (result._meta && result._meta.fields) || {};
    var structured = !(typeof result.text === "string" && Array.isArray(result.pages)) || Object.keys(meta).length > 0;
    if (!structured) return [];
    return Object.keys(result).filter(function (k) { return k !== "_meta"; }).map(function (k) {
      return { name: k, value: result[k], meta: meta[k] || null };
    });
  }

  function valueNode(value) {
    if (value === null || value === undefined) return el("span", { className: "muted", text: "not found" });
    if (Array.isArray(value) && value.length && value.every(function (v) { return v && typeof v === "object" && !Array.isArray(v); })) {
      var cols = [];
      value.forEach(function (row) { Object.keys(row).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
      return el("table", { className: "items" }, [
        el("thead", null, [el("tr", null, cols.map(function (c) { return el("th", { scope: "col", text: c }); }))]),
        el("tbody", null, value.map(function (row) {
          return el("tr", null, cols.map(function (c) { return el("td", { text: row[c] == null ? "" : (typeof row[c] === "object" ? JSON.stringify(row[c]) : String(row[c])) }); }));
        }))
      ]);
    }
    if (typeof value === "object") return el("code", { text: JSON.stringify(value) });
    return document.createTextNode(String(value));
  }

  function renderFields(result) {
    var entries = fieldEntries(result);
    var body = $("fields-body");
    clear(body);
    show($("fields-card"), entries.length > 0);
    entries.forEach(function (f) {
      var hasBox = f.meta && Array.isArray(f.meta.bbox) && f.meta.bbox.length === 4;
      var pct = f.meta ? confidencePct(f.meta.confidence) : null;
      var nameCell = hasBox
        ? el("button", { type: "button", className: "link", text: f.name, "aria-label": "Show where " + f.name + " was found",
            onclick: function () { highlightField(f); } })
        : document.createTextNode(f.name);
      body.appendChild(el("tr", { "data-field": f.name }, [
        el("td", null, [nameCell]),
        el("td", { className: "value" }, [valueNode(f.value)]),
        el("td", { className: "conf" + (pct !== null && pct < 60 ? " low" : ""), text: f.meta ? fmtConfidence(f.meta.confidence) : "–" })
      ]));
    });
  }

  function highlightField(f) {
    state.activeField = f;
    document.querySelectorAll("#fields-body tr").forEach(function (tr) {
      tr.classList.toggle("active", tr.getAttribute("data-field") === f.name);
    });
    var page = Number(f.meta.page) || 1;
    if (page !== state.pageNo) { state.pageNo = page; renderPageNav(); }
    showPage(state.pageNo).then(function () {
      var box = document.querySelector("#page-view .field-box");
      if (box && box.scrollIntoView) box.scrollIntoView({ block: "center", behavior: "smooth" });
    });
  }

  // Word boxes: from the result's pages when stored there ({width, height, words:[{text,bbox,confidence}]}),
  // else from the hOCR export when the server offers it. Resolves to [{width, height, words}] or null.
  function loadWords(result) {
    var id = state.recordId;
    var pages = result && Array.isArray(result.pages) ? result.pages : null;
    if (pages && pages.some(function (p) { return Array.isArray(p.words); })) {
      state.words = pages.map(function (p) {
        return { width: p.width || null, height: p.height || null, dpi: p.dpi || null,
          words: (p.words || []).map(function (w) { return { text: w.text, bbox: w.bbox, confidence: w.confidence }; }) };
      });
      return Promise.resolve(state.words);
    }
    return knownFormats().then(function (formats) {
      if (formats.indexOf("hocr") < 0 || state.recordId !== id) return null;
      return apiBlob("/processing-history/" + id + "/result", { format: "hocr" })
        .then(function (file) { return file.blob.text(); })
        .then(function (html) { if (state.recordId === id) state.words = parseHocr(html); return state.words; })
        .catch(function () { return null; });
    });
  }

  function hocrBbox(title) {
    var m = /bbox (\-?\d+) (\-?\d+) (\-?\d+) (\-?\d+)/.exec(title || "");
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] : null;
  }

  function parseHocr(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    return Array.prototype.map.call(doc.querySelectorAll(".ocr_page"), function (page) {
      var box = hocrBbox(page.getAttribute("title")) || [0, 0, 0, 0];
      var words = Array.prototype.map.call(page.querySelectorAll(".ocrx_word"), function (w) {
        var title = w.getAttribute("title") || "";
        var conf = /x_wconf (\d+(?:\.\d+)?)/.exec(title);
        return { text: w.textContent, bbox: hocrBbox(title), confidence: conf ? Number(conf[1]) : null };
      }).filter(function (w) { return w.bbox; });
      return { width: box[2] - box[0], height: box[3] - box[1], dpi: null, words: words };
    });
  }

  // The page picture: PDF pages come from the preview endpoint, images are the original file.
  // Anything else (TIFF: browsers cannot show it) is a blank page of the right size.
  function pageImage(n) {
    var record = state.record;
    if (state.pageCache[n] !== undefined) return Promise.resolve(state.pageCache[n]);
    var mime = record.mimeType || "";
    var request = null;
    if (mime === "application/pdf") request = apiBlob("/files/" + record.uploadId + "/pages/" + n, { dpi: 100 });
    else if (/^image\/(png|jpeg|webp|bmp|gif)$/.test(mime) && n === 1) request = apiBlob("/files/" + record.uploadId);
    if (!request) { state.pageCache[n] = null; return Promise.resolve(null); }
    return request.then(function (file) {
      var url = objectUrl(file.blob);
      return new Promise(function (resolve) {
        var img = new Image();
        img.onload = function () { resolve({ url: url, width: img.naturalWidth, height: img.naturalHeight, preview: mime === "application/pdf" }); };
        img.onerror = function () { resolve(null); };
        img.src = url;
      });
    }).catch(function () { return null; }).then(function (info) { state.pageCache[n] = info; return info; });
  }

  function showPage(n) {
    var id = state.recordId;
    renderPageNav();
    return pageImage(n).then(function (image) {
      if (state.recordId !== id || state.pageNo !== n) return;
      drawPage(n, image);
    });
  }

  function drawPage(n, image) {
    var view = $("page-view");
    clear(view);
    var wordsPage = state.words && state.words[n - 1] ? state.words[n - 1] : null;
    var result = resultOf(state.record) || {};
    var resultPage = Array.isArray(result.pages) ? result.pages[n - 1] : null;
    // The coordinate space of word and field boxes: page pixels at the OCR resolution.
    var width = (wordsPage && wordsPage.width) || (resultPage && resultPage.width) || null;
    var height = (wordsPage && wordsPage.height) || (resultPage && resultPage.height) || null;
    if (!width || !height) {
      if (image && image.preview) {  // a 100 dpi preview; boxes are at the OCR dpi (300 unless told)
        var dpi = (resultPage && resultPage.dpi) || 300;
        width = Math.round(image.width * dpi / 100); height = Math.round(image.height * dpi / 100);
      } else if (image) { width = image.width; height = image.height; }
      else { width = 2480; height = 3508; }  // A4 at 300 dpi when nothing tells the size
    }
    // the whole page fits in the window: its height is at most 80% of the viewport
    view.style.maxWidth = "calc(80vh * " + (width / height).toFixed(4) + ")";
    if (image) {
      view.appendChild(el("img", { src: image.url, alt: "Page " + n + " of " + (state.record.fileName || "the document"), width: String(image.width), height: String(image.height) }));
    } else {
      var blank = svg("svg", { viewBox: "0 0 " + width + " " + height, class: "blank", role: "img", "aria-label": "Page " + n + " (no picture available)" });
      blank.appendChild(svg("rect", { x: 0, y: 0, width: width, height: height, fill: "#fff" }));
      view.appendChild(blank);
      if (!(wordsPage && wordsPage.words.length)) {
        view.appendChild(el("div", { className: "page-note", text: state.record.status === "completed" ? "No page picture for this file type" : "The page appears when processing completes" }));
      }
    }
    var overlay = svg("svg", { viewBox: "0 0 " + width + " " + height, preserveAspectRatio: "none", class: "overlay", "aria-hidden": "true" });
    var info = $("word-info");
    (wordsPage ? wordsPage.words : []).forEach(function (w) {
      var b = w.bbox;
      var pct = confidencePct(w.confidence);
      var label = w.text + " — " + (pct === null ? "no confidence" : Math.round(pct) + "%");
      var rect = svg("rect", { x: b[0], y: b[1], width: Math.max(1, b[2] - b[0]), height: Math.max(1, b[3] - b[1]),
        class: "word" + (pct !== null && pct < 60 ? " low" : ""), "data-text": w.text });
      var title = svg("title");
      title.textContent = label;
      rect.appendChild(title);
      rect.addEventListener("mouseenter", function () { info.textContent = label; });
      overlay.appendChild(rect);
    });
    var f = state.activeField;
    if (f && f.meta && Array.isArray(f.meta.bbox) && (Number(f.meta.page) || 1) === n) {
      var fb = f.meta.bbox;
      overlay.appendChild(svg("rect", { x: fb[0] - 6, y: fb[1] - 6, width: fb[2] - fb[0] + 12, height: fb[3] - fb[1] + 12, class: "field-box" }));
      info.textContent = "Field “" + f.name + "” was read here (confidence " + fmtConfidence(f.meta.confidence) + ").";
    }
    view.appendChild(overlay);
    view.classList.toggle("hide-words", !$("show-boxes").checked);
    show($("show-boxes").parentNode, !!(wordsPage && wordsPage.words.length));
    if (!wordsPage && state.record.status === "completed" && !f) {
      info.textContent = "This result has no word boxes.";
    } else if (wordsPage && !f) {
      info.textContent = wordsPage.words.length + " words on this page. Hover a box to see its text and confidence.";
    }
  }

  // Accepted export formats: the server lists them in the 400 answer to an unknown format.
  function knownFormats() {
    if (state.formats) return Promise.resolve(state.formats);
    if (state.formatsProbe) return state.formatsProbe;
    state.formatsProbe = fetch(buildUrl("/processing-history/" + state.recordId + "/result", { format: "_formats_" }), { headers: headers() })
      .then(function (response) { return response.json().then(function (body) { return { status: response.status, body: body }; }); })
      .then(function (r) {
        var text = r.status === 400 && r.body ? [].concat(r.body.message).join(" ") : "";
        var m = /one of ([a-z0-9, ]+)/i.exec(text);
        var list = m ? m[1].split(",").map(function (s) { return s.trim(); }).filter(Boolean) : [];
        state.formats = list.length ? list : ALL_FORMATS.slice();
        return state.formats;
      })
      .catch(function () { return ALL_FORMATS.slice(); })
      .then(function (formats) { state.formatsProbe = null; return formats; });
    return state.formatsProbe;
  }

  function renderDownloads() {
    var box = $("downloads");
    var id = state.recordId;
    knownFormats().then(function (formats) {
      if (state.recordId !== id) return;
      clear(box);
      box.appendChild(el("span", { className: "muted", text: "Download:" }));
      formats.forEach(function (fmt) {
        box.appendChild(el("button", { type: "button", className: "secondary", "data-format": fmt, text: fmt.toUpperCase(),
          "aria-label": "Download as " + fmt, onclick: function (e) { download(fmt, e.currentTarget); } }));
      });
      box.appendChild(el("button", { type: "button", className: "secondary", text: "Original file", "aria-label": "Download the original file",
        onclick: function (e) { downloadOriginal(e.currentTarget); } }));
    });
  }

  function saveBlob(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = el("a", { href: url, download: name || "download" });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function download(fmt, button) {
    button.disabled = true;
    apiBlob("/processing-history/" + state.recordId + "/result", { format: fmt })
      .then(function (file) { saveBlob(file.blob, file.name || ("result." + fmt)); })
      .catch(function (err) { toast("Download failed: " + errorText(err), true); })
      .then(function () { button.disabled = false; });
  }

  function downloadOriginal(button) {
    button.disabled = true;
    apiBlob("/files/" + state.record.uploadId)
      .then(function (file) { saveBlob(file.blob, state.record.fileName || file.name); })
      .catch(function (err) { toast("Download failed: " + errorText(err), true); })
      .then(function () { button.disabled = false; });
  }

  // ---------------------------------------------------------------- templates
  var PRESETS = {
    invoice: { name: "Invoice", description: "Supplier invoices", resultFormat: "json", schema: {
      type: "object", properties: {
        invoiceNumber: { type: "string", description: "Invoice number (invoice no, invoice #)" },
        invoiceDate: { type: "string", format: "date", description: "Invoice date" },
        dueDate: { type: "string", format: "date", description: "Due date" },
        vendorName: { type: "string", description: "Supplier or vendor name" },
        customerName: { type: "string", description: "Bill to" },
        subtotal: { type: "number", description: "Subtotal" },
        tax: { type: "number", description: "Tax or VAT" },
        totalAmount: { type: "number", description: "Total amount due" },
        currency: { type: "string", enum: ["USD", "EUR", "GBP", "THB"] },
        lineItems: { type: "array", items: { type: "object", properties: {
          description: { type: "string" }, quantity: { type: "number" }, unitPrice: { type: "number" }, amount: { type: "number" } } } }
      } } },
    receipt: { name: "Receipt", description: "Shop receipts", resultFormat: "json", schema: {
      type: "object", properties: {
        merchantName: { type: "string", description: "Store name" },
        date: { type: "string", format: "date", description: "Date of purchase" },
        total: { type: "number", description: "Total" },
        tax: { type: "number", description: "Tax or VAT" },
        paymentMethod: { type: "string", description: "Cash, card…" }
      } } },
    idcard: { name: "ID card", description: "Identity cards", resultFormat: "json", schema: {
      type: "object", properties: {
        idNumber: { type: "string", description: "Identification number", pattern: "[0-9 ]{13,17}" },
        fullName: { type: "string", description: "Name" },
        dateOfBirth: { type: "string", format: "date", description: "Date of birth" },
        expiryDate: { type: "string", format: "date", description: "Date of expiry" }
      } } },
    freetext: { name: "Plain text", description: "Text only, no fields", resultFormat: "text", schema: { type: "object", properties: {} } }
  };

  function renderTemplates() {
    var body = $("templates-body");
    clear(body);
    if (!state.templates.length) {
      body.appendChild(el("tr", null, [el("td", { colspan: "5", className: "empty", text: "No templates yet: create one from a preset." })]));
    }
    state.templates.forEach(function (t) {
      var schema = t.templateSchema || {};
      var props = schema.properties && typeof schema.properties === "object" ? schema.properties : schema;
      var fields = Object.keys(props || {});
      body.appendChild(el("tr", { className: t.isActive ? "" : "inactive", "data-template": t.templateId }, [
        el("td", null, [el("strong", { text: t.name }), t.description ? el("div", { className: "muted small", text: t.description }) : null]),
        el("td", { text: t.resultFormat + " · " + t.extractionMode }),
        el("td", { className: "small", text: fields.length ? fields.join(", ") : "—" }),
        el("td", { text: t.isActive ? "Active" : "Inactive" }),
        el("td", null, [el("div", { className: "actions" }, [
          el("button", { type: "button", className: "secondary", text: "Edit", "aria-label": "Edit " + t.name, onclick: function () { editTemplate(t); } }),
          t.isActive
            ? el("button", { type: "button", className: "secondary", text: "Deactivate", "aria-label": "Deactivate " + t.name, onclick: function () { setTemplateActive(t, false); } })
            : el("button", { type: "button", className: "secondary", text: "Activate", "aria-label": "Activate " + t.name, onclick: function () { setTemplateActive(t, true); } }),
          el("a", { href: "#/?templateId=" + t.templateId, text: "Records" })
        ])])
      ]));
    });
  }

  function templateForm() { return $("template-form"); }

  function applyPreset(name) {
    var preset = PRESETS[name];
    var form = templateForm();
    if (!preset) return;
    form.elements.name.value = preset.name;
    form.elements.description.value = preset.description;
    form.elements.resultFormat.value = preset.resultFormat;
    form.elements.templateSchema.value = JSON.stringify(preset.schema, null, 2);
  }

  function resetTemplateForm() {
    var form = templateForm();
    form.reset();
    form.elements.templateId.value = "";
    form.elements.templateSchema.value = JSON.stringify({ type: "object", properties: {} }, null, 2);
    $("tpl-form-title").textContent = "New template";
    $("template-submit").textContent = "Create template";
    show($("template-cancel"), false);
    show($("preset-label"), true);
    showError($("template-form-error"), null);
  }

  function editTemplate(t) {
    var form = templateForm();
    form.elements.templateId.value = t.templateId;
    form.elements.name.value = t.name;
    form.elements.description.value = t.description || "";
    form.elements.resultFormat.value = t.resultFormat || "json";
    form.elements.instructions.value = t.instructions || "";
    form.elements.templateSchema.value = JSON.stringify(t.templateSchema || {}, null, 2);
    $("tpl-form-title").textContent = "Edit “" + t.name + "”";
    $("template-submit").textContent = "Save changes";
    show($("template-cancel"), true);
    show($("preset-label"), false);
    showError($("template-form-error"), null);
    form.elements.name.focus();
  }

  function submitTemplate(event) {
    event.preventDefault();
    var form = templateForm();
    var errorBox = $("template-form-error");
    var schema;
    try { schema = JSON.parse(form.elements.templateSchema.value); } catch (e) {
      showError(errorBox, { message: "The schema is not valid JSON: " + e.message });
      form.elements.templateSchema.focus();
      return;
    }
    if (!form.elements.name.value.trim()) {
      showError(errorBox, { message: "A name is required" });
      form.elements.name.focus();
      return;
    }
    var payload = { name: form.elements.name.value.trim(), description: form.elements.description.value,
      templateSchema: schema, resultFormat: form.elements.resultFormat.value, instructions: form.elements.instructions.value || null };
    var id = form.elements.templateId.value;
    var request = id
      ? api("/templates/" + id, { method: "PATCH", json: payload })
      : api("/templates", { method: "POST", json: Object.assign({ projectId: state.project.id }, payload) });
    $("template-submit").disabled = true;
    request.then(function (t) {
      toast(id ? "Saved “" + t.name + "”." : "Created “" + t.name + "”.");
      resetTemplateForm();
      return loadTemplates().then(renderTemplates);
    }, function (err) { showError(errorBox, err); })
      .then(function () { $("template-submit").disabled = false; });
  }

  function setTemplateActive(t, active) {
    var request = active
      ? api("/templates/" + t.templateId, { method: "PATCH", json: { isActive: true } })
      : api("/templates/" + t.templateId, { method: "DELETE" });
    request.then(function () {
      toast((active ? "Activated “" : "Deactivated “") + t.name + "”.");
      return loadTemplates().then(renderTemplates);
    }).catch(function (err) { showError($("templates-error"), err); });
  }

  // ---------------------------------------------------------------- wiring
  function debounce(fn, ms) {
    var timer = null;
    return function () { var args = arguments; clearTimeout(timer); timer = setTimeout(function () { fn.apply(null, args); }, ms); };
  }

  function init() {
    $("signin-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var key = $("apiKey").value.trim();
      showError($("signin-error"), null);
      if (!key) return;
      var button = event.target.querySelector("button");
      button.disabled = true;
      signIn(key).catch(function (err) { showError($("signin-error"), err); $("apiKey").focus(); })
        .then(function () { button.disabled = false; });
    });
    $("signout").addEventListener("click", function () { signOut(null); location.hash = "#/"; });
    $("project-select").addEventListener("change", function (e) {
      state.project = state.projects.filter(function (p) { return p.id === e.target.value; })[0] || state.project;
      sessionStorage.setItem(PROJECT_STORE, state.project.id);
      state.historyJson = ""; state.lastStats = ""; state.formats = null; state.lastEventId = null;
      startLive();
      loadTemplates().then(function () { location.hash = "#/"; route(); });
    });

    // filters: selects and dates apply at once, the search box after a pause
    var filters = $("filters");
    filters.addEventListener("submit", function (e) { e.preventDefault(); });
    filters.addEventListener("change", function (e) {
      var name = e.target.name;
      if (!name || name === "search") return;
      var change = {};
      change[name] = e.target.value;
      setQuery(change, true);
    });
    var searchNow = debounce(function (value) { setQuery({ search: value }, true); }, 350);
    filters.elements.search.addEventListener("input", function (e) { searchNow(e.target.value); });
    filters.addEventListener("reset", function (e) {
      e.preventDefault();
      // forget the filters now: a filter changed before the hashchange arrives must not
      // bring the old ones back
      state.query = {};
      location.hash = "#/";
    });
    document.querySelector(".pager").addEventListener("click", function (e) {
      var button = e.target.closest("button[data-page]");
      if (!button) return;
      var pager = e.currentTarget;
      var page = Number(pager.dataset.page || 1), pages = Number(pager.dataset.pages || 1);
      var target = { first: 1, prev: page - 1, next: page + 1, last: pages }[button.getAttribute("data-page")];
      setQuery({ page: Math.min(Math.max(1, target), pages) }, false);
    });

    // upload: picker, drag and drop
    $("file-input").addEventListener("change", function (e) { handleFiles(e.target.files); });
    $("upload-as-batch").addEventListener("change", function (e) { show($("batch-name-label"), e.target.checked); });
    var zone = $("dropzone");
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("dragover"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.remove("dragover"); });
    });
    zone.addEventListener("drop", function (e) { handleFiles(e.dataTransfer && e.dataTransfer.files); });
    // a file dropped next to the zone must not navigate away from the dashboard
    window.addEventListener("dragover", function (e) { e.preventDefault(); });
    window.addEventListener("drop", function (e) { e.preventDefault(); });

    // record view
    $("page-prev").addEventListener("click", function () { if (state.pageNo > 1) { state.pageNo -= 1; showPage(state.pageNo); } });
    $("page-next").addEventListener("click", function () { if (state.pageNo < pageCount()) { state.pageNo += 1; showPage(state.pageNo); } });
    $("show-boxes").addEventListener("change", function (e) { $("page-view").classList.toggle("hide-words", !e.target.checked); });

    // templates
    $("template-preset").addEventListener("change", function (e) { applyPreset(e.target.value); });
    $("template-form").addEventListener("submit", submitTemplate);
    $("template-cancel").addEventListener("click", resetTemplateForm);

    window.addEventListener("hashchange", route);
    document.addEventListener("visibilitychange", function () { if (!document.hidden && state.key) refreshVisible(); });

    var saved = sessionStorage.getItem(KEY_STORE);
    if (saved) {
      signIn(saved).catch(function (err) { signOut(errorText(err)); });
    } else {
      signOut(null);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
