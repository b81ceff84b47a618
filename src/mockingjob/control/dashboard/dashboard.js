// mockingjob dashboard: reads and steers the admin API of the server that serves it (same origin).
// Everything the server says is rendered as text (textContent, Text nodes), never parsed as markup.
"use strict";

(() => {
  const ADMIN = document.querySelector('meta[name="mockingjob-admin"]').content;
  const TOKEN_KEY = "mockingjob.adminToken";
  const POLL_MS = 1500;
  const JOURNAL_LIMIT = 50;

  const $ = (id) => document.getElementById(id);

  // --- talking to the admin API ---------------------------------------------------------------------------
  class Problem extends Error {
    constructor(status, detail) {
      super(`${status}: ${detail}`);
      this.status = status;
    }
  }

  let tokenNeeded = false;

  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method, headers, cache: "no-store", credentials: "same-origin", redirect: "error" };
    if (body !== undefined) {
      // The admin API refuses writes that are not JSON (a web page elsewhere could not send these).
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(ADMIN + path, init);
    if (response.status === 401) {
      askForToken(token ? "The admin token was refused." : null);
      throw new Problem(401, "the admin API needs its token");
    }
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const problem = await response.json();
        if (problem && typeof problem.detail === "string") detail = problem.detail;
      } catch (_) { /* not a problem document */ }
      throw new Problem(response.status, detail);
    }
    return response.status === 204 ? null : response.json();
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== "" && value !== null && value !== undefined) search.set(name, String(value));
    }
    const text = search.toString();
    return text ? `?${text}` : "";
  }

  // --- building the page, as text ---------------------------------------------------------------------------
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (name === "className") node.className = value;
      else if (name === "text") node.textContent = String(value);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else if (name === "onclick") node.addEventListener("click", value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function safeUrl(text) {
    try {
      const url = new URL(String(text), window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function link(text, href) {
    const url = safeUrl(href);
    return url ? el("a", { href: url }, text) : el("span", { className: "muted" }, text);
  }

  function pad(number, width = 2) {
    return String(number).padStart(width, "0");
  }

  function formatInstant(date, withDate = true) {
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) return "—";
    const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
    const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
    return withDate ? `${day} ${time} UTC` : time;
  }

  function formatSpan(seconds) {
    if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
    if (seconds < 120) return `${+seconds.toFixed(1)} s`;
    if (seconds < 7200) return `${+(seconds / 60).toFixed(1)} min`;
    if (seconds < 172800) return `${+(seconds / 3600).toFixed(1)} h`;
    return `${+(seconds / 86400).toFixed(1)} days`;
  }

  // A state's colour, by its name: every API spells its states its own way.
  function stateKind(state) {
    const name = String(state).toLowerCase();
    if (/fail|error/.test(name)) return "failed";
    if (/cancel|abort|kill/.test(name)) return "canceled";
    if (/^(complete|completed|success|succeeded|done)$/.test(name)) return "ok";
    if (/run|progress|render|initiali|start/.test(name)) return "running";
    return "waiting";
  }

  function setStatus(text, isError) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  // --- the admin token ------------------------------------------------------------------------------------
  function askForToken(message) {
    tokenNeeded = true;
    const form = $("token-form");
    form.hidden = false;
    if (message) setStatus(message, true);
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token-input").value);
    $("token-input").value = "";
    $("token-form").hidden = true;
    tokenNeeded = false;
    refreshSoon();
  });

  $("token-forget").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $("token-input").value = "";
  });

  // --- APIs -------------------------------------------------------------------------------------------------
  let apis = null;

  async function loadApis() {
    const answer = await call("GET", "/apis");
    apis = answer.apis;
    $("apis").replaceChildren(...apis.map((api) => {
      const spec = String(api.docs).replace(/\/ui\/?$/, "/openapi.json");
      return el("li", { dataset: { api: api.name } },
        el("span", { className: "api-name" }, api.name),
        el("span", {}, api.title),
        el("code", {}, api.url),
        link("Swagger UI", api.docs),
        link("OpenAPI spec", spec));
    }));
    const select = $("journal-api");
    select.replaceChildren(el("option", { value: "" }, "any"),
      ...apis.map((api) => el("option", { value: api.name }, api.name)));
    updateOperations();
  }

  function updateOperations() {
    const chosen = $("journal-api").value;
    const names = new Set();
    for (const api of apis || []) {
      if (!chosen || api.name === chosen) (api.operations || []).forEach((name) => names.add(name));
    }
    $("journal-operations").replaceChildren(...[...names].sort().map((name) => el("option", { value: name })));
  }

  // --- the clock --------------------------------------------------------------------------------------------
  async function refreshClock() {
    showClock(await call("GET", "/clock"));
  }

  function showClock(clock) {
    $("clock-now").textContent = formatInstant(new Date(clock.now));
    $("clock-now").dataset.now = clock.now;
    $("clock-speed").textContent = clock.manual ? "manual: time moves only when told"
      : `speed ${clock.speed}× real time`;
    if (document.activeElement !== $("speed-input")) $("speed-input").placeholder = String(clock.speed);
  }

  async function steer(action) {
    try {
      await action();
      setStatus("Done.", false);
    } catch (error) {
      setStatus(error.message, true);
    }
    refreshSoon();
  }

  document.querySelectorAll("[data-advance]").forEach((button) => {
    button.addEventListener("click", () => steer(async () => {
      showClock(await call("POST", "/clock/advance", { by: button.dataset.advance }));
    }));
  });

  document.querySelectorAll("[data-speed]").forEach((button) => {
    button.addEventListener("click", () => steer(async () => {
      showClock(await call("PUT", "/clock", { speed: Number(button.dataset.speed) }));
    }));
  });

  $("speed-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("speed-input").value.trim();
    const speed = Number(text);
    if (text === "" || !Number.isFinite(speed) || speed < 0) {
      setStatus("Give a speed: 0 (manual), 1 (real time) or any other factor.", true);
      return;
    }
    steer(async () => {
      showClock(await call("PUT", "/clock", { speed }));
      $("speed-input").value = "";
    });
  });

  // --- runs on their timelines ------------------------------------------------------------------------------
  async function refreshRuns() {
    const answer = await call("GET", `/runs${query({ limit: $("runs-limit").value })}`);
    const now = new Date(answer.now);
    const windowSeconds = Number($("runs-window").value);
    const from = new Date(now.getTime() - windowSeconds * 1000);
    $("runs").replaceChildren(...answer.apis.map((api) => apiRuns(api, from, now)));
  }

  function apiRuns(api, from, now) {
    const section = el("section", { className: "api-runs", dataset: { api: api.api } },
      el("h3", {}, api.api, el("span", { className: "muted" },
        api.supported ? `${api.runs.length} latest runs` : "")));
    if (!api.supported) {
      section.append(el("p", { className: "muted unsupported" },
        "This API's pack does not show its runs on a timeline."));
      return section;
    }
    if (api.runs.length === 0) {
      section.append(el("p", { className: "muted" }, "No runs yet."));
      return section;
    }
    const middle = new Date((from.getTime() + now.getTime()) / 2);
    section.append(el("div", { className: "axis", "aria-hidden": "true" },
      el("span", {}, "run"),
      el("div", { className: "axis-scale" },
        el("span", {}, formatInstant(from, false)), el("span", {}, formatInstant(middle, false)),
        el("span", {}, `${formatInstant(now, false)} (now)`)),
      el("span", {}, "state now")));
    for (const run of api.runs) section.append(runRow(run, from, now));
    return section;
  }

  function shortId(id) {
    const text = String(id);
    return text.length > 12 ? `${text.slice(0, 8)}…` : text; // a UUID: its start tells runs apart
  }

  function runRow(run, from, now) {
    const span = now.getTime() - from.getTime();
    const track = el("div", { className: "track", role: "img",
      "aria-label": run.segments.map((s) => `${s.state} from ${s.start}`).join(", ") });
    run.segments.forEach((segment, index) => {
      const start = new Date(segment.start).getTime();
      const end = segment.end === null ? now.getTime() : new Date(segment.end).getTime();
      const left = Math.max(start, from.getTime());
      const right = Math.min(end, now.getTime());
      if (right < left || span <= 0) return;
      const last = index === run.segments.length - 1;
      const lasted = (end - start) / 1000;
      const kind = stateKind(segment.state);
      const bar = el("div", {
        className: `seg state-${kind}${last && run.final ? " ended-state" : ""}`,
        dataset: { state: segment.state },
        title: `${segment.state}: ${formatInstant(new Date(start))} → ${segment.end === null ? "now" : formatInstant(new Date(end))}`
          + (segment.end === null ? "" : ` (${formatSpan(lasted)})`),
      });
      bar.style.left = `${((left - from.getTime()) / span) * 100}%`;
      bar.style.width = `${((right - left) / span) * 100}%`;
      track.append(bar);
    });
    return el("div", { className: "run", dataset: { api: run.api, runId: run.id, state: run.state } },
      el("div", { className: "run-label", title: `${run.api} run ${run.id}: ${run.label}` },
        run.label, el("span", { className: "run-id" }, `#${shortId(run.id)}`)),
      track,
      el("div", { className: `run-state state-${stateKind(run.state)}` }, run.state));
  }

  $("runs-window").addEventListener("change", () => refreshSoon());
  $("runs-limit").addEventListener("change", () => refreshSoon());

  // --- the journal ------------------------------------------------------------------------------------------
  const journalFilter = { api: "", operation: "", status: "" };
  const openEntries = new Set();
  let shownJournal = "";

  $("journal-api").addEventListener("change", updateOperations);

  $("journal-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    journalFilter.api = $("journal-api").value;
    journalFilter.operation = $("journal-operation").value.trim();
    journalFilter.status = $("journal-status").value.trim();
    refreshSoon();
  });

  $("journal-reset").addEventListener("click", () => {
    $("journal-filters").reset();
    Object.assign(journalFilter, { api: "", operation: "", status: "" });
    updateOperations();
    refreshSoon();
  });

  async function refreshJournal() {
    const filter = query({ ...journalFilter });
    const [answer, counted] = await Promise.all([
      call("GET", `/journal${query({ ...journalFilter, limit: JOURNAL_LIMIT })}`),
      call("GET", `/journal/count${filter}`),
    ]);
    const filtered = Object.values(journalFilter).some((value) => value);
    $("journal-count").textContent = `${counted.count} ${filtered ? "matching " : ""}request${counted.count === 1 ? "" : "s"}`
      + (counted.count > answer.entries.length ? `, the latest ${answer.entries.length} shown` : "");
    const text = JSON.stringify(answer.entries);
    if (text === shownJournal) return; // nothing new: leave what the reader has opened alone
    shownJournal = text;
    $("journal").replaceChildren(...answer.entries.map(journalEntry));
  }

  function statusClass(status) {
    if (status === null) return "status-dropped";
    if (status >= 500) return "status-server";
    if (status >= 400) return "status-client";
    return "status-ok";
  }

  function pretty(text) {
    if (text === null || text === undefined || text === "") return null;
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (_) {
      return String(text);
    }
  }

  function journalEntry(entry) {
    const details = el("details", { dataset: { id: entry.id } });
    details.open = openEntries.has(String(entry.id));
    details.addEventListener("toggle", () => {
      if (details.open) openEntries.add(String(entry.id));
      else openEntries.delete(String(entry.id));
    });
    const path = entry.query ? `${entry.path}?${entry.query}` : entry.path;
    details.append(el("summary", {},
      el("span", { className: "muted mono" }, `#${entry.id}`),
      el("span", { className: "mono" }, formatInstant(new Date(entry.at))),
      el("span", { className: "entry-api" }, entry.api),
      el("span", { className: "entry-status mono " + statusClass(entry.status) },
        entry.status === null ? "dropped" : String(entry.status)),
      el("span", { className: "mono" }, entry.method),
      el("span", { className: "entry-path mono" }, path),
      el("span", { className: "entry-operation muted" }, entry.operation || "no operation"),
      el("span", { className: "muted" }, `${Math.round(entry.latencyMs)} ms`)));
    const rows = [
      ["Request headers", JSON.stringify(entry.requestHeaders || {}, null, 2)],
      ["Request body", pretty(entry.requestBody)],
      ["Answer body", pretty(entry.responseBody)],
      ["Fault", entry.fault],
      ["Scenario", entry.scenario === null || entry.scenario === undefined ? null : `#${entry.scenario}`],
      ["Effect", entry.effect ? JSON.stringify(entry.effect, null, 2) : null],
      ["Lint findings", entry.warnings && entry.warnings.length
        ? entry.warnings.map((w) => `${w.rule} ${w.where}: ${w.message}`).join("\n") : null],
    ];
    const list = el("dl", { className: "entry-detail" });
    for (const [name, value] of rows) {
      if (value === null || value === undefined) continue;
      list.append(el("dt", {}, name), el("dd", {}, el("pre", { className: "mono" }, value)));
    }
    details.append(list);
    return el("li", { className: "entry", dataset: { id: entry.id, api: entry.api } }, details);
  }

  // --- scenarios and faults ---------------------------------------------------------------------------------
  async function refreshRules() {
    const [scenarios, faults] = await Promise.all([call("GET", "/scenarios"), call("GET", "/faults")]);
    showRules("scenarios", "scenario", scenarios.scenarios);
    showRules("faults", "fault", faults.faults);
  }

  function showRules(kind, one, rules) {
    const list = $(kind);
    if (rules.length === 0) {
      list.replaceChildren(el("li", { className: "muted empty" }, `No ${kind}.`));
      return;
    }
    list.replaceChildren(...rules.map((rule) => {
      const { id, ...rest } = rule;
      return el("li", { dataset: { id } },
        el("span", { className: "mono" }, `#${id}`),
        el("pre", { className: "mono" }, JSON.stringify(rest, null, 2)),
        el("button", { type: "button", onclick: () => steer(() => call("DELETE", `/${kind}/${encodeURIComponent(id)}`)) },
          `Remove ${one}`));
    }));
  }

  $("clear-scenarios").addEventListener("click", () => steer(() => call("DELETE", "/scenarios")));
  $("clear-faults").addEventListener("click", () => steer(() => call("DELETE", "/faults")));

  // --- polling ----------------------------------------------------------------------------------------------
  let timer = null;
  let refreshing = null;
  let again = false;

  async function refresh() {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        const tasks = [refreshClock(), refreshRuns(), refreshJournal(), refreshRules()];
        if (apis === null) tasks.push(loadApis());
        const results = await Promise.allSettled(tasks);
        const failed = results.find((result) => result.status === "rejected");
        if (failed) setStatus(failed.reason.message || String(failed.reason), true);
        else if (!tokenNeeded) setStatus(`Updated ${formatInstant(new Date())} (wall clock)`, false);
      } while (again);
    })();
    try {
      await refreshing;
    } finally {
      refreshing = null;
    }
    return undefined;
  }

  function refreshSoon() {
    clearTimeout(timer);
    timer = setTimeout(poll, 0);
  }

  async function poll() {
    clearTimeout(timer);
    if (!document.hidden && !tokenNeeded) await refresh(); // no token yet: wait for one
    timer = setTimeout(poll, POLL_MS);
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refreshSoon();
  });

  poll();
})();
