"use strict";
/*
 * moneytrail web view: one page for investigators over the /v1 API of the same server — a case's money
 * flow and its freeze proposals (延伸止付), an account's profile, mule-card rings (断卡) and the warnings
 * board (资金预警).
 *
 * Plain ES2020, run as served: no framework, no build step, nothing fetched from another origin.
 * Sections, in order:
 *   1. DOM and formatting helpers
 *   2. i18n (the labels live in i18n.js; Chinese by default)
 *   3. api (token, fetch, errors)
 *   4. router (URL hash → view) and the view lifecycle
 *   5. views: cases, investigation (diagram, totals, freeze table), account, rings, ring, warnings, stops,
 *      statements (upload, import summary, balance check)
 *   6. flow diagram: the server's SVG, imported; pan and zoom
 *   7. ring diagram: built here as SVG
 *   8. CSV export
 *   9. boot
 *
 * Rules kept throughout: text from the store (names, memos, branches) only ever goes through textContent
 * or setAttribute, never through HTML parsing; the server's SVG is parsed as XML and stripped of anything
 * active before it is imported; the token lives in sessionStorage and the Authorization header, never in
 * a URL.
 */
(() => {
  // ---------------------------------------------------------------------------------------------------
  // 1. DOM and formatting helpers
  // ---------------------------------------------------------------------------------------------------

  const SVG_NS = "http://www.w3.org/2000/svg";
  const $ = (sel, root = document) => root.querySelector(sel);
  const enc = encodeURIComponent;

  /** Element properties set as properties (the rest become attributes). */
  const PROPS = new Set(["value", "checked", "disabled", "hidden", "selected", "open"]);

  /**
   * Creates an HTML element. `props`: `class`, `text`, `data` {…}, `on` {event: handler}, and any other
   * attribute; `children`: nodes, strings (as text) or arrays of them; null and false are skipped.
   */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === "class") el.className = Array.isArray(v) ? v.filter(Boolean).join(" ") : v;
      else if (k === "text") el.textContent = String(v);
      else if (k === "data") {
        for (const [dk, dv] of Object.entries(v)) if (dv != null) el.dataset[dk] = String(dv);
      } else if (k === "on") {
        for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      } else if (PROPS.has(k)) el[k] = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    append(el, children);
    return el;
  }

  /** Creates an SVG element; every entry of `attrs` is an attribute. */
  function svg(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, String(v));
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c == null || c === false) continue;
      el.append(c instanceof Node ? c : String(c)); // strings become text nodes, never markup
    }
  }

  const button = (label, onClick, cls) => h("button", { type: "button", class: cls, text: label, on: { click: onClick } });
  const loading = () => h("p", { class: "mt-loading", text: t("common.loading") });
  const empty = (text) => h("p", { class: "mt-empty", text });

  /** A titled block of a view; fill its `body`. */
  function section(title, cls) {
    const body = h("div", { class: "mt-section-body" });
    const head = h("div", { class: "mt-section-head" }, h("h2", { text: title }));
    const el = h("section", { class: ["mt-card", cls] }, head, body);
    return { el, head, body };
  }

  /** Definition list from [label, value, key] rows (value: string or node). */
  function dl(rows, cls) {
    return h(
      "dl",
      { class: ["mt-dl", cls] },
      rows.filter(Boolean).map(([label, value, key, raw]) => [
        h("dt", { text: label }),
        h("dd", { data: { key, value: raw } }, value == null || value === "" ? "—" : value),
      ]),
    );
  }

  /**
   * A table. `columns`: {key, label, cls, cell(row, i) → node|string, value(row) → raw text for tests
   * and export}; `rowProps(row, i)` gives the <tr>'s props.
   */
  function table(columns, rows, { rowProps, cls } = {}) {
    const head = h("tr", {}, columns.map((c) => h("th", { class: c.cls, data: { col: c.key }, text: c.label })));
    const body = rows.map((r, i) =>
      h(
        "tr",
        rowProps ? rowProps(r, i) : {},
        columns.map((c) => h("td", { class: c.cls, data: { col: c.key, value: c.value ? c.value(r) : null } }, c.cell(r, i))),
      ),
    );
    return h("div", { class: "mt-table-wrap" }, h("table", { class: ["mt-table", cls] }, h("thead", {}, head), h("tbody", {}, body)));
  }

  /** "146051.00" → "¥146,051.00". The API's money is decimal yuan text; it is never turned into floats for display. */
  function money(yuan) {
    if (yuan == null || yuan === "") return "—";
    const m = /^(-?)(\d+)(\.\d+)?$/.exec(String(yuan));
    if (!m) return String(yuan);
    return `${m[1]}¥${m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${m[3] || ""}`;
  }

  /** Yuan text → integer fen (for sums; amounts stay far below 2^53 fen). */
  const toFen = (yuan) => Math.round(Number(yuan || 0) * 100);
  const fenToYuan = (fen) => (fen / 100).toFixed(2);

  /** The UTC offset (minutes) of the server's times, learned from the RFC 3339 times it sends. */
  let serverOffsetMin = -new Date().getTimezoneOffset();

  /** RFC 3339 from the API → "2026-01-10 12:25:40", in the server's zone (as the bank records read). */
  function when(ts) {
    if (!ts) return "—";
    const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?/.exec(ts);
    if (!m) return String(ts);
    if (m[3]) serverOffsetMin = m[3] === "Z" ? 0 : (m[3][0] === "-" ? -1 : 1) * (Number(m[3].slice(1, 3)) * 60 + Number(m[3].slice(4, 6)));
    return `${m[1]} ${m[2]}`;
  }

  const pad2 = (n) => String(n).padStart(2, "0");

  /** Epoch milliseconds → RFC 3339 in the server's zone ("2026-01-10T12:25:40+08:00"), as the API takes times. */
  function isoMs(ms) {
    const off = serverOffsetMin;
    const zone = off ? `${off < 0 ? "-" : "+"}${pad2(Math.floor(Math.abs(off) / 60))}:${pad2(Math.abs(off) % 60)}` : "Z";
    return new Date(ms + off * 60000).toISOString().slice(0, 19) + zone;
  }

  /** Epoch milliseconds → "2026-01-10 12:25:40" in the server's zone. */
  const whenMs = (ms) => (ms == null || !isFinite(ms) ? "—" : isoMs(ms).slice(0, 19).replace("T", " "));

  /** A time for the API: epoch milliseconds become RFC 3339; text (as typed or linked) is passed as is. */
  const apiTime = (v) => (typeof v === "number" ? isoMs(v) : v || undefined);

  /** Seconds → "1:05:09"; negative with a sign. */
  function clock(sec) {
    const s = Math.abs(Math.trunc(sec));
    return `${sec < 0 ? "-" : ""}${Math.floor(s / 3600)}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
  }

  /** Minutes → "2 h 05 min" / "3 d 4 h" in the current language. */
  function minutes(min) {
    if (min == null || !isFinite(min)) return "—";
    const m = Math.max(0, Math.round(min));
    if (m < 60) return t("fmt.min", { m });
    if (m < 48 * 60) return t("fmt.hmin", { h: Math.floor(m / 60), m: pad2(m % 60) });
    return t("fmt.dh", { d: Math.floor(m / 1440), h: Math.floor((m % 1440) / 60) });
  }

  const pct = (x) => (x == null || !isFinite(x) ? "—" : `${(x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0)}%`);

  // ---------------------------------------------------------------------------------------------------
  // 2. i18n
  // ---------------------------------------------------------------------------------------------------

  const DICT = window.MT_I18N || { zh: {}, en: {} };
  const LANG_KEY = "moneytrail.lang";
  let lang = "zh";
  try {
    lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
  } catch (_) {
    /* storage unavailable: stay on the default */
  }

  /** The label `key` in the current language, with {name} placeholders filled from `vars`. */
  function t(key, vars) {
    let s = DICT[lang]?.[key] ?? DICT.zh?.[key] ?? key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (all, k) => (vars[k] == null ? all : String(vars[k])));
    return s;
  }

  /**
   * A sentence the server wrote in English (evidence, pattern, reason, note), in the current language:
   * in Chinese through MT_EVIDENCE_ZH (i18n.js), else as written. Untranslated ones carry
   * data-untranslated for the tests.
   */
  function tx(text) {
    if (lang !== "zh") return text;
    for (const [re, zh] of window.MT_EVIDENCE_ZH || []) {
      if (re.test(text)) return text.replace(re, zh);
    }
    return text;
  }
  const txUntranslated = (text) => lang === "zh" && !(window.MT_EVIDENCE_ZH || []).some(([re]) => re.test(text));
  /** An <li> of a server sentence. */
  const txItem = (text) => h("li", { text: tx(text), ...(txUntranslated(text) ? { "data-untranslated": "" } : {}) });

  /** Labels written in index.html (data-i18n, data-i18n-placeholder). */
  function applyStaticLabels() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
    updateSessionUi();
  }

  function setLang(next) {
    lang = next;
    try {
      localStorage.setItem(LANG_KEY, next);
    } catch (_) {
      /* not remembered; still switched */
    }
    applyStaticLabels();
    render();
  }

  // ---------------------------------------------------------------------------------------------------
  // 3. api
  // ---------------------------------------------------------------------------------------------------

  const TOKEN_KEY = "moneytrail.token";

  /** The bearer token, for this browser tab only (sessionStorage), never in a URL. */
  const session = {
    get token() {
      try {
        return sessionStorage.getItem(TOKEN_KEY) || "";
      } catch (_) {
        return "";
      }
    },
    set token(v) {
      try {
        if (v) sessionStorage.setItem(TOKEN_KEY, v);
        else sessionStorage.removeItem(TOKEN_KEY);
      } catch (_) {
        /* storage unavailable */
      }
    },
  };

  /** How far the server's clock is ahead of this browser's (from the Date header), for countdowns. */
  let clockSkewMs = 0;
  const serverNow = () => Date.now() + clockSkewMs;

  /** An error answer of the API: `{"error": {"code", "message", "field"?}}`, or a network failure (status 0). */
  class ApiError extends Error {
    constructor(status, code, message, field) {
      super(message);
      this.status = status;
      this.code = code;
      this.field = field;
    }
  }

  function queryString(q) {
    if (!q) return "";
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v != null && v !== "") p.set(k, String(v));
    const s = p.toString();
    return s ? `?${s}` : "";
  }

  async function request(method, path, { query, body, form, accept = "application/json" } = {}) {
    const headers = { Accept: accept };
    if (session.token) headers.Authorization = `Bearer ${session.token}`;
    const init = { method, headers, cache: "no-store", credentials: "omit" };
    if (form !== undefined) {
      init.body = form; // multipart/form-data: the browser sets the type with its boundary
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path + queryString(query), init);
    } catch (_) {
      throw new ApiError(0, "network", t("err.network"));
    }
    const date = Date.parse(resp.headers.get("Date") || "");
    // The Date header has whole seconds: only a real difference between the clocks is worth correcting.
    if (isFinite(date)) clockSkewMs = Math.abs(date - Date.now()) > 5000 ? date - Date.now() : 0;
    if (!resp.ok) {
      let e = {};
      try {
        const j = await resp.json();
        e = (j && (j.error || j)) || {};
      } catch (_) {
        /* not JSON: use the status line */
      }
      if (resp.status === 401) signedOut();
      throw new ApiError(resp.status, e.code || `http_${resp.status}`, e.message || resp.statusText || "", e.field);
    }
    return resp;
  }

  const api = {
    get: (path, query) => request("GET", path, { query }).then((r) => r.json()),
    post: (path, body, query) => request("POST", path, { query, body: body ?? {} }).then((r) => r.json()),
    /** Files as multipart/form-data (statement uploads). */
    upload: (path, form, query) => request("POST", path, { query, form }).then((r) => r.json()),
    /** A document of another kind as text (the case-folder page). */
    text: (method, path, query, body) => request(method, path, { query, body }).then((r) => r.text()),
    /** An SVG document as text; anything but SVG (e.g. a server that does not draw yet) is an error. */
    async svg(method, path, query, body) {
      const r = await request(method, path, { query, body, accept: "image/svg+xml" });
      const type = r.headers.get("Content-Type") || "";
      if (!type.includes("image/svg+xml")) throw new ApiError(0, "not_svg", t("diagram.notSvg", { type: type || "?" }));
      return r.text();
    },
  };

  /**
   * What an error means, for people, in the server's words and with the field at fault: 400 is input the
   * server could not read, 422 a well-formed request it cannot act on (say, an unknown seed transfer).
   */
  function errorText(err) {
    if (!(err instanceof ApiError)) return t("err.client", { msg: err?.message || String(err) });
    const msg = err.field ? t("err.withField", { msg: err.message, field: err.field }) : err.message;
    if (err.status === 0) return msg;
    if ([400, 401, 403, 422].includes(err.status)) return t(`err.${err.status}`, { msg });
    return t("err.other", { status: err.status, code: err.code, msg });
  }

  /** Shows an error in the banner under the header (it stays until closed or the view changes). */
  function showError(err) {
    $("#mt-error-text").textContent = errorText(err);
    $("#mt-error").dataset.status = err instanceof ApiError ? String(err.status) : "";
    $("#mt-error").hidden = false;
  }
  const hideError = () => ($("#mt-error").hidden = true);

  /** The same error, in place (in the section or row where it happened). */
  const errorBox = (err) =>
    h("div", { class: "mt-error-inline", role: "alert", data: { status: err instanceof ApiError ? err.status : "" }, text: errorText(err) });

  /** Replaces `box`'s content with what `work` resolves to (drawn by `draw`), or with its error. */
  async function fill(ctx, box, work, draw) {
    box.replaceChildren(loading());
    try {
      const value = await work;
      if (!ctx.alive) return;
      box.replaceChildren();
      draw(value);
    } catch (err) {
      if (!ctx.alive) return;
      box.replaceChildren(errorBox(err));
      showError(err);
    }
  }

  /** Who the token belongs to, {name, role} from /v1/whoami: asked once per token, before any view. */
  let me = null;
  let meToken = "";
  async function whoami() {
    const token = session.token;
    if (!me || meToken !== token) {
      me = await api.get("/v1/whoami");
      meToken = token;
      updateSessionUi();
    }
    return me;
  }

  const roleName = (role) => (DICT.zh[`user.${role}`] ? t(`user.${role}`) : role || "?");

  /** Operators and admins record stops, scan and acknowledge warnings; analysts only read. */
  const canOperate = () => me?.role === "operator" || me?.role === "admin";

  /** An operator-only control: for anyone else it is shown disabled, with the reason as its tooltip. */
  function operatorOnly(el) {
    if (!canOperate()) {
      el.disabled = true;
      el.title = t("perm.button", { role: roleName(me?.role) });
    }
    return el;
  }

  /** Why the operator-only controls nearby are disabled (an empty fragment for operators); `key` says which. */
  const roleNote = (key) =>
    canOperate() ? document.createDocumentFragment() : h("p", { class: "mt-role-note", role: "note", text: t(key, { role: roleName(me?.role) }) });

  // ---------------------------------------------------------------------------------------------------
  // 4. router and view lifecycle
  // ---------------------------------------------------------------------------------------------------

  /** The view on screen: `alive` turns false when another replaces it, so late answers are dropped. */
  class ViewContext {
    constructor() {
      this.alive = true;
      this.ticks = [];
      this.aborts = [];
    }
    /** An AbortSignal that fires when the view goes away (open streams close with it). */
    signal() {
      const c = new AbortController();
      this.aborts.push(c);
      return c.signal;
    }
    /** Calls `fn` once a second while this view is shown (countdowns). */
    everySecond(fn) {
      this.ticks.push(fn);
      fn();
    }
    dispose() {
      this.alive = false;
      this.ticks = [];
      this.aborts.forEach((c) => c.abort());
      this.aborts = [];
    }
  }

  let current = null;
  setInterval(() => current?.ticks.forEach((fn) => fn()), 1000);

  /** "#/case/CASE-00009?rule=lifo" → {parts: ["case", "CASE-00009"], query: URLSearchParams}. */
  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, "");
    const q = raw.indexOf("?");
    const path = q < 0 ? raw : raw.slice(0, q);
    const parts = path
      .split("/")
      .filter(Boolean)
      .map((p) => {
        try {
          return decodeURIComponent(p);
        } catch (_) {
          return p;
        }
      });
    return { parts, query: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)) };
  }

  /** A hash link: href(["case", id], {rule: "lifo"}) → "#/case/CASE-00009?rule=lifo". */
  const href = (parts, query) => `#/${parts.map(enc).join("/")}${queryString(query)}`;

  const ROUTES = {
    cases: viewCases,
    case: (ctx, root, [id], q) => viewInvestigation(ctx, root, caseSource(id), q),
    trace: (ctx, root, _, q) => viewInvestigation(ctx, root, adhocSource(q), q),
    account: viewAccountPage,
    rings: viewRings,
    warnings: viewWarnings,
    stops: viewStops,
    statements: viewStatements,
    links: viewLinks,
  };

  /** Draws the view the hash names, replacing the previous one. */
  function render() {
    current?.dispose();
    const ctx = (current = new ViewContext());
    hideError();
    const { parts, query } = parseHash();
    const name = parts[0] || "cases";
    for (const a of document.querySelectorAll("#mt-nav a")) a.classList.toggle("is-active", a.dataset.nav === name || (name === "case" && a.dataset.nav === "cases"));
    const root = $("#mt-view");
    root.replaceChildren();
    root.dataset.view = name;
    document.title = "moneytrail";
    if (!session.token) {
      root.append(h("section", { class: "mt-card mt-signin-first" }, h("h1", { text: t("signin.first") }), h("p", { text: t("signin.firstHint") })));
      $("#mt-token").focus();
      return;
    }
    const route = Object.prototype.hasOwnProperty.call(ROUTES, name) ? ROUTES[name] : null;
    if (!route) {
      root.append(empty(t("err.noRoute")));
      return;
    }
    whoami()
      .then(() => ctx.alive && route(ctx, root, parts.slice(1), query))
      .catch((err) => {
        if (!ctx.alive) return;
        showError(err);
        root.append(errorBox(err));
      });
  }

  // ---------------------------------------------------------------------------------------------------
  // 5. views
  // ---------------------------------------------------------------------------------------------------

  const RULES = ["fifo", "lifo", "proportional", "poison"];
  const GRADES = ["purple", "red", "yellow", "blue"];

  /** A link to an account that opens it in the side panel of the view (or as a page if there is none). */
  function accountLink(account, open, label) {
    return h("a", {
      class: "mt-acct-link",
      href: href(["account", account]),
      data: { account },
      text: label || account,
      on: {
        click: (e) => {
          if (!open || e.ctrlKey || e.metaKey || e.shiftKey) return; // let the browser open the page
          e.preventDefault();
          open(account);
        },
      },
    });
  }

  // --- cases ----------------------------------------------------------------------------------------

  async function viewCases(ctx, root) {
    root.append(h("h1", { text: t("cases.title") }));
    const list = section(t("cases.registered"), "mt-cases");
    root.append(list.el, adhocForm());
    await fill(ctx, list.body, api.get("/v1/cases"), (cases) => {
      if (!cases.length) return list.body.append(empty(t("cases.none")));
      list.body.append(
        table(
          [
            { key: "case", label: t("cases.id"), cell: (c) => h("a", { href: href(["case", c.case_id]), text: c.case_id }), value: (c) => c.case_id },
            {
              key: "seeds",
              label: t("cases.seeds"),
              cell: (c) =>
                c.victims.length
                  ? t("cases.victimWindow", { victims: c.victims.join(", "), from: when(c.from), to: when(c.to) })
                  : t("cases.seedCount", { n: c.seed_txn_ids.length, first: c.seed_txn_ids.slice(0, 3).join(", ") + (c.seed_txn_ids.length > 3 ? " …" : "") }),
            },
            { key: "report_time", label: t("cases.reportTime"), cell: (c) => when(c.report_time) },
            { key: "created", label: t("cases.created"), cell: (c) => `${when(c.created_at)} · ${c.created_by}` },
            { key: "note", label: t("cases.note"), cell: (c) => c.note || "" },
          ],
          cases,
          { rowProps: (c) => ({ class: "mt-case-row", data: { case: c.case_id } }) },
        ),
      );
    });
  }

  /** Rule, hops and as-of inputs shared by the ad hoc form and the investigation controls. */
  function ruleInputs(opts, { threshold, asOfDefault = "ctl.asOfPlaceholder" } = {}) {
    const field = (labelKey, input) => h("label", { class: "mt-field" }, h("span", { text: t(labelKey) }), input);
    return [
      field("ctl.rule", h("select", { name: "rule" }, RULES.map((r) => h("option", { value: r, text: t(`rule.${r}`), selected: (opts.rule || "fifo") === r })))),
      field("ctl.hops", h("input", { name: "hops", type: "number", min: 1, max: 20, step: 1, value: opts.hops || "", placeholder: "6" })),
      field("ctl.asOf", h("input", { name: "as_of", type: "text", value: opts.as_of || "", placeholder: t(asOfDefault), size: 19 })),
      field("ctl.minAmount", h("input", { name: "min_amount", type: "text", inputmode: "decimal", value: opts.min_amount || "", placeholder: "0", size: 8 })),
      threshold ? field("ctl.threshold", h("input", { name: "threshold", type: "text", inputmode: "decimal", value: opts.threshold || "", placeholder: "100", size: 8 })) : null,
    ];
  }

  /**
   * An ad hoc trace worth keeping becomes a case (operator): registered through POST /v1/cases with the
   * payments traced and the view's as-of as report time, then opened by its id.
   */
  function registerForm(src, pinned) {
    const msg = h("div", { class: "mt-form-msg" });
    const form = h(
      "form",
      { class: "mt-register", autocomplete: "off" },
      h("label", { class: "mt-field" }, h("span", { text: t("reg.caseId") }), h("input", { name: "case_id", type: "text", size: 18, required: true })),
      h("label", { class: "mt-field mt-wide" }, h("span", { text: t("reg.note") }), h("input", { name: "note", type: "text", size: 40 })),
      operatorOnly(h("button", { type: "submit", class: "mt-register-btn", text: t("reg.submit") })),
      roleNote("perm.register"),
      msg,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      const caseId = String(f.get("case_id") || "").trim();
      if (!caseId) return;
      try {
        const { as_of } = await pinned();
        await src.register(caseId, as_of, String(f.get("note") || ""));
        location.hash = href(["case", caseId]);
      } catch (err) {
        msg.replaceChildren(errorBox(err));
      }
    });
    return h("details", { class: "mt-card mt-register-box" }, h("summary", { text: t("reg.title") }), form);
  }

  const splitList = (s) => (s || "").split(/[\s,;，；]+/).filter(Boolean);

  /** Enter the victim's payments by hand: seed transfer ids, or victim accounts and a time window. */
  function adhocForm() {
    const msg = h("div", { class: "mt-form-msg" });
    const form = h(
      "form",
      { class: "mt-card mt-adhoc", autocomplete: "off" },
      h("h2", { text: t("adhoc.title") }),
      h("p", { class: "mt-hint", text: t("adhoc.hint") }),
      h("label", { class: "mt-field mt-wide" }, h("span", { text: t("adhoc.seeds") }), h("textarea", { name: "seeds", rows: 2, placeholder: "T00012845, T00012912" })),
      h(
        "div",
        { class: "mt-row" },
        h("label", { class: "mt-field" }, h("span", { text: t("adhoc.victims") }), h("input", { name: "victims", type: "text", size: 24 })),
        h("label", { class: "mt-field" }, h("span", { text: t("adhoc.from") }), h("input", { name: "from", type: "text", placeholder: "2026-01-10 00:00:00", size: 19 })),
        h("label", { class: "mt-field" }, h("span", { text: t("adhoc.to") }), h("input", { name: "to", type: "text", placeholder: "2026-01-10 23:59:59", size: 19 })),
      ),
      h("div", { class: "mt-row" }, ruleInputs({}, { asOfDefault: "ctl.asOfNow" }), h("button", { type: "submit", class: "mt-primary", text: t("adhoc.submit") })),
      msg,
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const f = new FormData(form);
      const seeds = splitList(f.get("seeds"));
      const victims = splitList(f.get("victims"));
      if (!seeds.length && !(victims.length && f.get("from") && f.get("to"))) {
        msg.replaceChildren(h("div", { class: "mt-error-inline", text: t("adhoc.need") }));
        return;
      }
      location.hash = href(["trace"], {
        seeds: seeds.join(","),
        victims: victims.join(","),
        from: f.get("from"),
        to: f.get("to"),
        rule: f.get("rule"),
        hops: f.get("hops"),
        as_of: f.get("as_of"),
        min_amount: f.get("min_amount"),
      });
    });
    return form;
  }

  // --- investigation: a case or an ad hoc trace -----------------------------------------------------

  /** Options of a trace in the hash query (`rule`, `hops`, `as_of`, `min_amount`, `threshold`). */
  const OPTION_KEYS = ["rule", "hops", "as_of", "min_amount", "threshold"];
  const optionsFrom = (q) => Object.fromEntries(OPTION_KEYS.map((k) => [k, q.get(k) || ""]));

  /** A registered case: its trace, diagram and freeze come from /v1/cases/{id}/…. */
  function caseSource(id) {
    const base = `/v1/cases/${enc(id)}`;
    return {
      title: id,
      caseId: id,
      parts: ["case", id],
      baseQuery: {},
      info: () => api.get(base),
      trace: (o) => api.get(`${base}/trace`, traceQuery(o)),
      svg: (o) => api.svg("GET", `${base}/trace`, { ...traceQuery(o), format: "svg", lang }),
      page: (o) => api.text("GET", `${base}/trace`, { ...traceQuery(o), format: "html", lang }),
      freeze: (o) => api.get(`${base}/freeze`, o),
    };
  }
  const traceQuery = (o) => ({ rule: o.rule, hops: o.hops, as_of: o.as_of, min_amount: o.min_amount });

  /** Payments entered by hand: POST /v1/trace and /v1/freeze with the seeds in the body. */
  function adhocSource(q) {
    const seeds = {
      seed_txn_ids: splitList(q.get("seeds")),
      victims: splitList(q.get("victims")),
      from: q.get("from") || undefined,
      to: q.get("to") || undefined,
    };
    const body = (o, freeze) => ({
      ...seeds,
      rule: o.rule || undefined,
      hops: o.hops ? Number(o.hops) : undefined,
      as_of: o.as_of || undefined,
      min_amount: o.min_amount || undefined,
      threshold: freeze && o.threshold ? o.threshold : undefined,
    });
    return {
      title: t("inv.adhocTitle"),
      caseId: "",
      parts: ["trace"],
      baseQuery: { seeds: q.get("seeds"), victims: q.get("victims"), from: q.get("from"), to: q.get("to") },
      info: async () => null,
      trace: (o) => api.post("/v1/trace", body(o, false)),
      /** Registers these payments as a case (operator), with the view's as-of as its report time. */
      register: (caseId, reportTime, note) => api.post("/v1/cases", { case_id: caseId, ...seeds, report_time: reportTime, note }),
      svg: (o) => api.svg("POST", "/v1/trace", { format: "svg", lang }, body(o, false)),
      page: (o) => api.text("POST", "/v1/trace", { format: "html", lang }, body(o, false)),
      freeze: (o) => api.post("/v1/freeze", body(o, true)),
    };
  }

  /**
   * The investigation view: the money-flow diagram with its totals, the freeze proposals and, on a click,
   * an account's panel. Changing rule, hops or as-of rewrites the hash, so the whole picture follows and
   * can be linked.
   */
  async function viewInvestigation(ctx, root, src, q) {
    const opts = optionsFrom(q);
    document.title = `${src.title} · moneytrail`;
    const subtitle = h("p", { class: "mt-subtitle" });
    const controls = h("form", { class: "mt-controls", autocomplete: "off" }, ruleInputs(opts, { threshold: true, asOfDefault: src.caseId ? "ctl.asOfPlaceholder" : "ctl.asOfNow" }), [
      h("button", { type: "submit", class: "mt-primary", text: t("ctl.apply") }),
      h("a", { class: "mt-reset", href: href(src.parts, src.baseQuery), text: t("ctl.reset") }),
    ]);
    const apply = () => {
      const f = new FormData(controls);
      location.hash = href(src.parts, { ...src.baseQuery, ...Object.fromEntries(OPTION_KEYS.map((k) => [k, String(f.get(k) || "").trim()])) });
    };
    controls.addEventListener("submit", (e) => {
      e.preventDefault();
      apply();
    });
    controls.elements.rule.addEventListener("change", apply);
    /** An error naming one of these fields marks its input. */
    const markField = (err) => {
      const input = err?.field ? controls.elements.namedItem(err.field) : null;
      if (input instanceof HTMLElement) input.setAttribute("aria-invalid", "true");
    };

    const diagram = section(t("inv.diagram"), "mt-flow-section");
    const summary = section(t("inv.summary"), "mt-summary");
    const freeze = section(t("freeze.title"), "mt-freeze");
    root.append(h("h1", { text: src.title }), subtitle, controls);
    if (src.register) root.append(registerForm(src, () => pinned));
    root.append(diagram.el, summary.el, freeze.el);
    if (src.caseId) {
      const linked = section(t("links.caseTitle"), "mt-case-links");
      root.append(linked.el);
      fill(ctx, linked.body, api.get(`/v1/cases/${enc(src.caseId)}/links`), (r) => drawLinks(linked.body, r, openAccount, src.caseId));
    }

    // What the account panel needs from the trace: the accounts' trace facts, the traced transfers and
    // the window to list an account's transfers in.
    const known = { accounts: new Map(), txns: new Set(), from: null, to: null };
    const openAccount = (account) => openPanel(ctx, root, account, known);

    const info = src.info();
    info.then(
      (c) => {
        if (ctx.alive && c?.report_time) subtitle.prepend(h("span", { text: t("inv.reported", { t: when(c.report_time) }) }));
      },
      () => {},
    );

    // One as-of for every request of this view (trace, diagram, freeze, the saved files), so that what is
    // saved is what is shown: as given, else the case's report time, else now (to the second), pinned here.
    const pinned = opts.as_of ? Promise.resolve(opts) : info.then((c) => ({ ...opts, as_of: c?.report_time || isoMs(Math.floor(serverNow() / 1000) * 1000) }));

    const tracePromise = pinned.then(src.trace);
    tracePromise.catch(markField);
    fill(ctx, summary.body, tracePromise, (trace) => {
      for (const a of trace.accounts) known.accounts.set(a.account, a);
      for (const x of trace.transfers) known.txns.add(x.txn_id);
      const seedTimes = trace.seeds.map((s) => Date.parse(s.ts)).filter(isFinite);
      const asOf = Date.parse(trace.as_of || "") || Math.max(...seedTimes) + 7 * 86400000;
      known.from = Math.min(...seedTimes) - 86400000; // the day before the first payment …
      known.to = asOf + 86400000; // … to the day after as-of: what came before and where it went next
      if (trace.as_of) controls.elements.as_of.placeholder = when(trace.as_of);
      subtitle.append(
        h("span", {
          text: t("inv.victims", {
            victims: trace.victims.map((v) => v.victim).join(", "),
            seeds: trace.seeds.length,
            total: money(trace.totals.seed_total),
          }),
        }),
      );
      drawSummary(summary.body, trace, openAccount);
    });

    const svgHost = h("div", { class: "mt-diagram", tabindex: "-1" });
    const tools = h("div", { class: "mt-tools" });
    diagram.head.append(tools);
    diagram.body.append(svgHost);
    fill(ctx, svgHost, pinned.then((o) => Promise.all([o, src.svg(o)])), ([o, text]) => {
      const el = importFlowSvg(text);
      // Which query this picture is of, so a reader (and the browser tests) can tell it from the last one.
      svgHost.dataset.rule = o.rule || "fifo";
      svgHost.dataset.hops = String(o.hops || 6);
      svgHost.append(el);
      fitHeight(svgHost, el);
      const pz = panZoom(el);
      tools.append(
        button("+", () => pz.zoom(0.8), "mt-tool"),
        button("−", () => pz.zoom(1.25), "mt-tool"),
        button(t("diagram.reset"), () => pz.reset(), "mt-tool"),
        // For the case folder: the same picture as a file that opens offline (the server renders both).
        button(t("diagram.saveSvg"), () => saveFile(`${folderName(src, o)}.svg`, text, "image/svg+xml"), "mt-tool mt-save-svg"),
        button(
          t("diagram.savePage"),
          () => src.page(o).then((page) => saveFile(`${folderName(src, o)}.html`, page, "text/html"), showError),
          "mt-tool mt-save-html",
        ),
        h("span", { class: "mt-hint", text: t("diagram.hint") }),
      );
      // A click (not the end of a drag) on an account opens its panel; so does Enter on a focused one.
      el.addEventListener("click", (e) => {
        const g = e.target.closest?.(".mt-account[data-account]");
        if (g && !pz.dragged()) openAccount(g.dataset.account);
      });
      el.addEventListener("keydown", (e) => {
        const g = e.target.closest?.(".mt-account[data-account]");
        if (g && (e.key === "Enter" || e.key === " ")) {
          e.preventDefault();
          openAccount(g.dataset.account);
        }
      });
    });

    const freezePromise = pinned.then(src.freeze);
    freezePromise.catch(markField);
    const stops = api.get("/v1/stops").then((r) => r.stops);
    fill(ctx, freeze.body, Promise.all([freezePromise, stops]), ([report, stopList]) =>
      drawFreeze(freeze, report, stopList, src, openAccount),
    );
  }

  /** Sets the diagram's height from its aspect ratio, within sensible bounds. */
  function fitHeight(host, el) {
    const vb = el.viewBox.baseVal;
    const width = host.clientWidth || 900;
    const px = vb && vb.width ? (width * vb.height) / vb.width : 420;
    host.style.height = `${Math.round(Math.min(Math.max(px, 280), 760))}px`;
  }

  /**
   * Totals of the trace, terminals by kind, per-victim totals and statements to request, side by side;
   * then the accounts reached and the notes, folded.
   */
  function drawSummary(box, trace, openAccount) {
    const block = (title, ...content) => h("div", { class: "mt-summary-block" }, title ? h("h3", { text: title }) : null, content);
    const tt = trace.totals;
    box.append(
      block(
        null,
        dl(
          [
            [t("tot.seed"), money(tt.seed_total), "seed_total", tt.seed_total],
            [t("tot.held"), money(tt.held), "held", tt.held],
            [t("tot.terminals"), money(tt.terminals), "terminals", tt.terminals],
            [t("tot.returned"), money(tt.returned), "returned", tt.returned],
            [t("tot.belowCutoff"), money(tt.below_cutoff), "below_cutoff", tt.below_cutoff],
            [t("tot.beyondHops"), money(tt.beyond_hops), "beyond_hops", tt.beyond_hops],
            [t("tot.conserved"), h("span", { class: tt.conserved ? "mt-ok" : "mt-bad", text: tt.conserved ? t("tot.yes") : t("tot.no") }), "conserved", String(tt.conserved)],
            [t("tot.rule"), `${t(`rule.${trace.rule}`)} · ${t("tot.hops", { n: trace.hops })}`, "rule", trace.rule],
            [t("ctl.asOf"), when(trace.as_of), "as_of", trace.as_of],
          ],
          "mt-totals",
        ),
      ),
    );

    // Money that reached terminals, by kind (the accounts' traced inflow).
    const byKind = new Map();
    for (const a of trace.accounts) if (a.terminal) byKind.set(a.terminal, (byKind.get(a.terminal) || 0) + toFen(a.traced_in));
    if (byKind.size) {
      box.append(block(t("inv.terminalsByKind"), dl([...byKind].map(([k, fen]) => [t(`terminal.${k}`), money(fenToYuan(fen)), k, fenToYuan(fen)]), "mt-terminal-kinds")));
    }

    if (trace.victims.length > 1) {
      box.append(
        block(
          t("inv.perVictim"),
          table(
            [
              { key: "victim", label: t("inv.victim"), cell: (v) => accountLink(v.victim, openAccount) },
              { key: "seed", label: t("tot.seed"), cls: "num", cell: (v) => money(v.seed_total) },
              { key: "held", label: t("tot.held"), cls: "num", cell: (v) => money(v.held) },
              { key: "terminals", label: t("tot.terminals"), cls: "num", cell: (v) => money(v.terminals) },
            ],
            trace.victims,
          ),
        ),
      );
    }

    box.append(
      block(
        t("inv.statements"),
        trace.statements_to_request.length
          ? table(
              [
                { key: "account", label: t("col.account"), cell: (s) => accountLink(s.account, openAccount), value: (s) => s.account },
                { key: "hop", label: t("col.level"), cls: "num", cell: (s) => String(s.hop) },
                { key: "held", label: t("tot.held"), cls: "num", cell: (s) => money(s.held), value: (s) => s.held },
              ],
              trace.statements_to_request,
              { cls: "mt-statements", rowProps: (s) => ({ data: { account: s.account } }) },
            )
          : empty(t("inv.noStatements")),
      ),
    );

    box.append(
      h(
        "details",
        { class: "mt-accounts-reached" },
        h("summary", { text: t("inv.accountsReached", { n: trace.accounts.length }) }),
        table(
          [
            { key: "hop", label: t("col.level"), cls: "num", cell: (a) => String(a.hop) },
            { key: "account", label: t("col.account"), cell: (a) => accountLink(a.account, openAccount), value: (a) => a.account },
            { key: "holder", label: t("col.holder"), cell: (a) => a.holder_name },
            { key: "bank", label: t("col.bank"), cell: (a) => a.bank },
            { key: "in", label: t("acct.tracedIn"), cls: "num", cell: (a) => money(a.traced_in) },
            { key: "held", label: t("tot.held"), cls: "num", cell: (a) => (a.terminal ? t(`terminal.${a.terminal}`) : money(a.held)), value: (a) => a.held },
            { key: "next", label: t("acct.nextStep"), cell: (a) => a.next_step || "" },
          ],
          trace.accounts,
          { rowProps: (a) => ({ data: { account: a.account, hop: a.hop } }) },
        ),
      ),
    );
    if (trace.notes.length) {
      box.append(h("details", { class: "mt-notes" }, h("summary", { text: t("inv.notes") }), h("ul", {}, trace.notes.map(txItem))));
    }
  }

  // --- freeze proposals -----------------------------------------------------------------------------

  /** A stop in force now for `account`, if any. */
  function activeStop(stops, account) {
    const now = serverNow();
    return stops.find((s) => s.account === account && !s.released_at && Date.parse(s.placed_at) <= now + 60000 && Date.parse(s.expires_at) > now);
  }

  /** The columns of the freeze table; the CSV export uses the same texts (see freezeCsv). */
  function freezeColumns(openAccount, statusCell) {
    return [
      { key: "rank", label: t("col.rank"), cls: "num", cell: (p) => String(p.rank), value: (p) => p.rank },
      { key: "account", label: t("col.account"), cell: (p) => accountLink(p.account, openAccount), value: (p) => p.account },
      { key: "holder", label: t("col.holder"), cell: (p) => p.holder_name, value: (p) => p.holder_name },
      { key: "bank", label: t("col.bank"), cell: (p) => [p.bank, p.branch].filter(Boolean).join(" · "), value: (p) => [p.bank, p.branch].filter(Boolean).join(" · ") },
      { key: "level", label: t("col.level"), cls: "num", cell: (p) => String(p.level), value: (p) => p.level },
      { key: "amount", label: t("freeze.amount"), cls: "num", cell: (p) => money(p.amount), value: (p) => p.amount },
      {
        key: "urgency",
        label: t("freeze.urgency"),
        cell: (p) => h("span", { class: ["mt-badge", `urgency-${p.urgency}`], text: t(`urgency.${p.urgency}`) }),
        value: (p) => t(`urgency.${p.urgency}`),
      },
      { key: "since", label: t("freeze.since"), cls: "num", cell: (p) => minutes(p.minutes_since_last_arrival), value: (p) => minutes(p.minutes_since_last_arrival) },
      {
        key: "basis",
        label: t("freeze.basis"),
        cell: (p) => h("span", { title: `${when(p.basis.ts)} ${p.basis.from_account} → ${p.basis.to_account} ${money(p.basis.amount)}`, text: `${p.basis.txn_id} · ${p.basis.from_name || p.basis.from_account}` }),
        value: (p) => p.basis.txn_id,
      },
      { key: "status", label: t("freeze.status"), cell: (p) => statusCell(p) },
    ];
  }

  /** The proposals table with urgency, the CSV export and placing stops. */
  function drawFreeze(sec, report, stops, src, openAccount) {
    const box = sec.body;
    box.append(
      h("p", {
        class: "mt-freeze-summary",
        text: t("freeze.summary", {
          n: report.proposals.length,
          proposed: money(report.proposed_total),
          held: money(report.held_total),
          threshold: money(report.threshold),
          asOf: when(report.as_of),
        }),
      }),
    );
    const exportBtn = button(t("freeze.export"), () => download(freezeFileName(src, report), freezeCsv(report, stops, src)), "mt-export-csv");
    sec.head.append(exportBtn);
    if (!report.proposals.length) box.append(empty(t("freeze.none")));

    const rows = new Map(); // account → <tr>
    const statusCell = () => h("div", { class: "mt-stop-cell" }); // drawn once its row exists
    /** Stopped: the stop's id and expiry. Not stopped: a button that opens the stop form. */
    const drawStatus = (cell, p) => {
      const stop = activeStop(stops, p.account);
      const row = rows.get(p.account);
      row.classList.toggle("is-stopped", !!stop);
      row.dataset.stopped = stop ? "1" : "";
      if (stop) {
        cell.replaceChildren(h("span", { class: "mt-stopped", data: { stopId: stop.id }, text: t("freeze.stopped", { id: stop.id, until: when(stop.expires_at) }) }));
        return;
      }
      cell.replaceChildren(operatorOnly(button(t("freeze.placeStop"), () => stopForm(cell, p), "mt-place-stop")));
    };
    /** Confirm the amount (the held amount by default) and a note, then POST /v1/stops. */
    const stopForm = (cell, p) => {
      const amount = h("input", { name: "amount", type: "text", inputmode: "decimal", value: p.amount, size: 10, "aria-label": t("freeze.amount") });
      const note = h("input", { name: "note", type: "text", size: 14, placeholder: t("freeze.note"), "aria-label": t("freeze.note") });
      const msg = h("div");
      const confirm = h("button", { type: "submit", class: "mt-confirm-stop mt-primary", text: t("freeze.confirmStop") });
      const form = h("form", { class: "mt-stop-form" }, amount, note, confirm, button(t("common.cancel"), () => drawStatus(cell, p), "mt-cancel"), msg);
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        confirm.disabled = true;
        try {
          const placed = await api.post("/v1/stops", {
            account: p.account,
            amount: amount.value.trim(),
            case_id: src.caseId,
            basis_txn: p.basis.txn_id,
            note: note.value.trim() || t("freeze.defaultNote", { rank: p.rank, rule: report.rule }),
          });
          stops.push(...placed.stops);
          drawStatus(cell, p);
        } catch (err) {
          confirm.disabled = false;
          msg.replaceChildren(errorBox(err));
          showError(err);
        }
      });
      cell.replaceChildren(form);
      amount.focus();
    };

    if (report.proposals.length) {
      box.append(roleNote("perm.stop"));
      const tbl = table(freezeColumns(openAccount, statusCell), report.proposals, {
        cls: "mt-freeze-table",
        rowProps: (p) => ({ class: ["mt-proposal", `urgency-${p.urgency}`], data: { account: p.account, rank: p.rank } }),
      });
      for (const tr of tbl.querySelectorAll("tr.mt-proposal")) rows.set(tr.dataset.account, tr);
      box.append(tbl);
      for (const p of report.proposals) drawStatus(rows.get(p.account).querySelector(".mt-stop-cell"), p);
    }

    if (report.already_stopped.length) {
      box.append(
        h("h3", { text: t("freeze.alreadyStopped") }),
        table(
          [
            { key: "account", label: t("col.account"), cell: (s) => accountLink(s.account, openAccount) },
            { key: "id", label: t("stops.id"), cls: "num", cell: (s) => `#${s.stop_id}` },
            { key: "amount", label: t("stops.amount"), cls: "num", cell: (s) => money(s.stopped_amount) },
            { key: "expires", label: t("stops.expires"), cell: (s) => when(s.expires_at) },
            { key: "traced", label: t("freeze.tracedIn"), cls: "num", cell: (s) => money(s.traced_in) },
          ],
          report.already_stopped,
          { cls: "mt-already-stopped" },
        ),
      );
    }
    if (report.not_proposed.length) {
      box.append(
        h(
          "details",
          { class: "mt-not-proposed" },
          h("summary", { text: t("freeze.notProposed", { n: report.not_proposed.length }) }),
          table(
            [
              { key: "account", label: t("col.account"), cell: (n) => accountLink(n.account, openAccount) },
              { key: "level", label: t("col.level"), cls: "num", cell: (n) => String(n.level) },
              { key: "held", label: t("tot.held"), cls: "num", cell: (n) => money(n.held) },
              { key: "reason", label: t("freeze.reason"), cell: (n) => tx(n.reason) },
            ],
            report.not_proposed,
          ),
        ),
      );
    }
  }

  // --- account --------------------------------------------------------------------------------------

  /** Opens (or reuses) the side panel of the view with `account`'s profile. */
  function openPanel(ctx, host, account, known) {
    let panel = host.querySelector(":scope > .mt-panel");
    if (!panel) {
      panel = h("aside", { class: "mt-panel", "aria-label": t("acct.panel") });
      host.append(panel);
    }
    panel.dataset.account = account;
    const body = h("div", { class: "mt-panel-body" });
    panel.replaceChildren(
      h(
        "div",
        { class: "mt-panel-bar" },
        h("a", { class: "mt-open-page", href: href(["account", account], known?.from ? { from: apiTime(known.from), to: apiTime(known.to) } : {}), text: t("acct.openPage") }),
        button(t("common.close"), () => panel.remove(), "mt-panel-close"),
      ),
      body,
    );
    drawAccount(ctx, body, account, known || {}, (next) => openPanel(ctx, host, next, known));
  }

  function viewAccountPage(ctx, root, [account], q) {
    document.title = `${account} · moneytrail`;
    const body = h("div", { class: "mt-card mt-account-page" });
    root.append(body);
    const from = q.get("from");
    const to = q.get("to");
    const host = root;
    drawAccount(ctx, body, account, { from, to, accounts: new Map(), txns: new Set() }, (next) => openPanel(ctx, host, next, { from, to }));
  }

  /** How to show each account feature (see `moneytrail features`). */
  const FEATURES = {
    in_count: "n",
    out_count: "n",
    in_fen: "fen",
    out_fen: "fen",
    senders: "n",
    receivers: "n",
    pass_through_1h: "pct",
    median_dwell_min: "min",
    balance_left_share: "pct",
    age_at_first_activity_days: "days",
    dormancy_before_burst_days: "days",
    night_share: "pct",
    round_or_under_limit_share: "pct",
    salary_in_share: "pct",
    terminal_out_share: "pct",
    holders_on_device: "n",
    holders_on_phone: "n",
    cards_of_holder: "n",
    counterparties: "n",
    pass_through_24h: "pct",
    lifo_pass_1h: "pct",
    lifo_pass_24h: "pct",
    one_off_in_fen: "fen",
    one_off_senders: "n",
    one_off_pass_24h: "pct",
    burst_share: "pct",
    salary_out_share: "pct",
    holders_in_phone_run: "n",
    holders_in_branch_cohort: "n",
    holders_on_login: "n",
    first_ts_ms: "ms",
    last_ts_ms: "ms",
  };

  function featureValue(kind, v) {
    if (v == null) return "—";
    switch (kind) {
      case "fen":
        return money(fenToYuan(v));
      case "pct":
        return pct(v);
      case "min":
        return minutes(v);
      case "days":
        return t("fmt.days", { d: v });
      case "ms":
        return whenMs(v);
      default:
        return typeof v === "object" ? JSON.stringify(v) : String(v);
    }
  }

  /**
   * An account: profile, its place in the current trace, features, ring, and its transfers in the
   * window (`known.from`..`known.to`: epoch ms, or text as linked), a page at a time. `open` opens another account.
   */
  function drawAccount(ctx, box, account, known, open) {
    const head = h("div", { class: "mt-acct-head" }, h("h2", { class: "mt-acct-number", text: account }), h("p", { class: "mt-acct-holder" }));
    const profile = h("div", { class: "mt-acct-profile" }, loading());
    const inTrace = known.accounts?.get(account);
    const ring = section(t("acct.ring"), "mt-acct-ring");
    const transfers = section(t("acct.transfers"), "mt-acct-transfers");
    box.replaceChildren(head);

    if (inTrace) {
      box.append(
        h("h3", { text: t("acct.inTrace") }),
        dl(
          [
            [t("col.level"), String(inTrace.hop), "hop", inTrace.hop],
            [t("acct.tracedIn"), money(inTrace.traced_in), "traced_in", inTrace.traced_in],
            [t("acct.tracedOut"), money(inTrace.traced_out), "traced_out", inTrace.traced_out],
            [t("tot.held"), money(inTrace.held), "held", inTrace.held],
            inTrace.terminal ? [t("acct.terminal"), t(`terminal.${inTrace.terminal}`), "terminal", inTrace.terminal] : null,
            inTrace.next_step ? [t("acct.nextStep"), inTrace.next_step, "next_step"] : null,
            [t("acct.arrivals"), `${when(inTrace.first_arrival)} – ${when(inTrace.last_arrival)}`, "arrivals"],
            [t("acct.evidence"), h("ol", { class: "mt-evidence" }, inTrace.evidence.map((chain) => h("li", { text: chain.join(" → ") }))), "evidence"],
          ],
          "mt-acct-trace",
        ),
      );
    }
    const origin = section(t("up.title"), "mt-acct-upstream");
    box.append(profile, ring.el, origin.el, transfers.el);
    drawUpstream(ctx, origin.body, account, known, open);

    const q = { from: apiTime(known.from), to: apiTime(known.to), limit: 100 };
    const first = api.get(`/v1/accounts/${enc(account)}`, q);
    fill(ctx, profile, first, (r) => {
      head.querySelector(".mt-acct-holder").textContent = [r.holder_name || t("acct.unknownHolder"), r.kind && t(`kind.${r.kind}`)].filter(Boolean).join(" · ");
      profile.append(
        dl(
          [
            [t("acct.holderId"), r.holder_id, "holder_id"],
            [t("acct.phone"), r.phone, "phone"],
            [t("acct.device"), r.device_id, "device_id"],
            [t("col.bank"), [r.bank, r.branch].filter(Boolean).join(" · "), "bank"],
            [t("acct.opened"), r.opened_at, "opened_at"],
          ],
          "mt-acct-attrs",
        ),
      );
      if (r.features) {
        profile.append(
          h(
            "details",
            { class: "mt-features", open: true },
            h("summary", { text: t("acct.features") }),
            dl(
              Object.entries(r.features)
                .filter(([k]) => k !== "kind")
                .map(([k, v]) => [t(`feat.${k}`), featureValue(FEATURES[k], v), k, v]),
              "mt-feature-list",
            ),
          ),
        );
      }
    });

    fill(ctx, ring.body, api.get(`/v1/rings/around/${enc(account)}`), (r) => {
      if (!r.rings.length) return ring.body.append(empty(t("acct.noRing")));
      for (const rg of r.rings) {
        const member = rg.members.find((m) => m.account === account);
        ring.body.append(
          h(
            "div",
            { class: "mt-ring-line", data: { ring: rg.ring_id } },
            h(
              "p",
              {},
              // A ranked ring has its own page; one found by anchoring on this account (A…) is drawn by the around route.
              h("a", { href: anchored(rg) ? href(["rings", "around", account]) : href(["rings", rg.ring_id]), text: rg.ring_id }),
              ` · ${t("rings.score")} ${rg.score} · ${t("rings.membersN", { n: rg.members.length })}`,
              member ? ` · ${t("rings.role")}: ${t(`role.${member.role}`)}` : "",
            ),
            member?.evidence.length ? h("ul", { class: "mt-evidence" }, member.evidence.map(txItem)) : null,
            anchored(rg) && [
              h("p", { class: "mt-hint", text: t("rings.anchored", { account }) }),
              h(
                "ul",
                { class: "mt-ring-others" },
                rg.members.filter((m) => m !== member).map((m) => h("li", { data: { account: m.account } }, accountLink(m.account, open), ` ${t(`role.${m.role}`)} · ${m.holder_name}`)),
              ),
            ],
          ),
        );
      }
    });

    const list = h("tbody");
    const more = h("div", { class: "mt-more" });
    const windowText =
      known.from != null
        ? t("acct.window", { from: when(apiTime(known.from)), to: when(apiTime(known.to)) })
        : t("acct.allTime");
    const addPage = (r) => {
      for (const x of r.transfers) {
        list.append(
          h(
            "tr",
            { class: ["mt-transfer", known.txns?.has(x.txn_id) && "is-traced"], data: { txn: x.txn_id, direction: x.direction } },
            h("td", { text: when(x.ts) }),
            h("td", { class: `dir-${x.direction}`, text: t(`dir.${x.direction}`) }),
            h("td", {}, accountLink(x.counterparty, open), x.counterparty_name ? h("span", { class: "mt-dim", text: ` ${x.counterparty_name}` }) : null),
            h("td", { class: "num", text: money(x.amount) }),
            h("td", { text: x.channel }),
            h("td", { class: "mt-dim", text: `${x.txn_id}${x.memo ? ` · ${x.memo}` : ""}` }),
          ),
        );
      }
      more.replaceChildren();
      if (r.next_cursor) {
        more.append(
          button(t("acct.more"), async (e) => {
            e.target.disabled = true;
            try {
              const next = await api.get(`/v1/accounts/${enc(account)}`, { ...q, after: r.next_cursor });
              if (ctx.alive) addPage(next);
            } catch (err) {
              more.replaceChildren(errorBox(err));
            }
          }, "mt-more-btn"),
        );
      }
    };
    fill(ctx, transfers.body, first, (r) => {
      transfers.body.append(
        h("p", { class: "mt-hint", text: windowText }),
        h(
          "div",
          { class: "mt-table-wrap" },
          h(
            "table",
            { class: "mt-table mt-transfers" },
            h("thead", {}, h("tr", {}, [t("col.time"), t("col.direction"), t("col.counterparty"), t("col.amount"), t("col.channel"), t("col.txn")].map((l) => h("th", { text: l })))),
            list,
          ),
        ),
        more,
      );
      if (!r.transfers.length) transfers.body.append(empty(t("acct.noTransfers")));
      addPage(r);
    });
  }

  /**
   * Where an account's money came from (upstream trace): on request, since it traces back from every
   * inflow of the window. The window is the view's (`known.to` as the end) or all time.
   */
  function drawUpstream(ctx, box, account, known, open) {
    const rule = h("select", { name: "rule", class: "mt-up-rule" }, RULES.filter((r) => r !== "poison").map((r) => h("option", { value: r, text: t(`rule.${r}`) })));
    const out = h("div", { class: "mt-up-result" });
    const go = button(t("up.run"), async () => {
      go.disabled = true;
      out.replaceChildren(loading());
      try {
        const to = apiTime(known.to);
        const r = await api.post("/v1/trace", { upstream: account, rule: rule.value, ...(to ? { to } : {}) });
        if (ctx.alive) out.replaceChildren(...upstreamResult(r, open));
      } catch (err) {
        out.replaceChildren(errorBox(err));
      } finally {
        go.disabled = false;
      }
    }, "mt-up-run");
    box.append(h("p", { class: "mt-hint", text: t("up.hint") }), h("div", { class: "mt-controls" }, rule, go), out);
  }

  function upstreamResult(r, open) {
    const tt = r.totals;
    const caseLinks = (ids) => ids.flatMap((id, i) => [i ? ", " : "", h("a", { href: href(["case", id]), text: id })]);
    return [
      dl(
        [
          [t("up.inflow"), money(tt.inflow), "inflow", tt.inflow],
          [t("up.victims"), [money(tt.from_registered_victims), ` · ${t("up.victimsN", { n: tt.registered_victims })} `, ...caseLinks(tt.cases)], "from_registered_victims", tt.from_registered_victims],
          [t("up.payers"), `${money(tt.from_ordinary_payers)} · ${t("up.payersN", { n: tt.ordinary_payers })}`, "from_ordinary_payers", tt.from_ordinary_payers],
          [t("up.other"), money(tt.from_other_origins), "from_other_origins", tt.from_other_origins],
          [t("up.beyond"), money(tt.beyond_hops), "beyond_hops", tt.beyond_hops],
          [t("up.unattributed"), money(tt.unattributed), "unattributed", tt.unattributed],
        ],
        "mt-up-totals",
      ),
      r.origins.length
        ? table(
            [
              { key: "account", label: t("up.origin"), cell: (o) => accountLink(o.account, open), value: (o) => o.account },
              { key: "kind", label: t("up.kind"), cell: (o) => t(`origin.${o.kind}`), value: (o) => o.kind },
              { key: "amount", label: t("col.amount"), cls: "num", cell: (o) => money(o.amount), value: (o) => o.amount },
              { key: "cases", label: t("up.cases"), cell: (o) => caseLinks(o.cases), value: (o) => o.cases.join(",") },
              { key: "chain", label: t("up.chain"), cell: (o) => h("ol", { class: "mt-evidence" }, o.chain.map((c) => h("li", { text: `${c.txn_id} · ${c.from} → ${c.to} · ${money(c.traced)}` }))) },
            ],
            r.origins,
            { cls: "mt-up-table", rowProps: (o) => ({ class: "mt-origin-row", data: { account: o.account } }) },
          )
        : empty(t("up.none")),
    ];
  }

  // --- rings ----------------------------------------------------------------------------------------

  const roleCounts = (ring) => ring.members.reduce((m, x) => ((m[x.role] = (m[x.role] || 0) + 1), m), {});

  /** A ring found by anchoring on one account (id A…): not in the ranked list, no page of its own. */
  const anchored = (ring) => ring.ring_id.startsWith("A");

  /** "R0003", or "3" for the third ring (ids are ranks). */
  const ringId = (key) => (/^\d+$/.test(key) ? `R${key.padStart(4, "0")}` : key);

  async function viewRings(ctx, root, parts, q) {
    if (parts[0] === "around" && parts[1]) return viewRingAround(ctx, root, parts[1]);
    if (parts[0]) return viewRing(ctx, root, await api.get(`/v1/rings/${enc(ringId(parts[0]))}`));
    document.title = `${t("rings.title")} · moneytrail`;
    root.append(h("h1", { text: t("rings.title") }));
    const filter = h(
      "form",
      { class: "mt-controls" },
      h("label", { class: "mt-field" }, h("span", { text: t("rings.minScore") }), h("input", { name: "min_score", type: "number", min: 0, max: 100, step: 1, value: q.get("min_score") || "", placeholder: "0" })),
      h("button", { type: "submit", text: t("ctl.apply") }),
    );
    filter.addEventListener("submit", (e) => {
      e.preventDefault();
      location.hash = href(["rings"], { min_score: filter.elements.min_score.value });
    });
    const list = section(t("rings.ranked"), "mt-rings");
    root.append(filter, list.el, confirmedPanel(ctx));
    await fill(ctx, list.body, api.get("/v1/rings", { min_score: q.get("min_score") }), (r) => {
      list.body.append(h("p", { class: "mt-hint", text: t("rings.scanned", { n: r.accounts_scanned, rings: r.rings.length }) }));
      if (r.stale) list.body.append(h("p", { class: "mt-hint mt-stale", text: t("rings.stale") }));
      if (!r.rings.length) return list.body.append(empty(t("rings.none")));
      list.body.append(
        table(
          [
            { key: "rank", label: t("col.rank"), cls: "num", cell: (_, i) => String(i + 1) },
            { key: "ring", label: t("rings.id"), cell: (g) => h("a", { href: href(["rings", g.ring_id]), text: g.ring_id }), value: (g) => g.ring_id },
            { key: "score", label: t("rings.score"), cls: "num", cell: (g) => String(g.score), value: (g) => g.score },
            { key: "members", label: t("rings.members"), cls: "num", cell: (g) => String(g.members.length), value: (g) => g.members.length },
            {
              key: "roles",
              label: t("rings.roles"),
              cell: (g) =>
                Object.entries(roleCounts(g))
                  .map(([role, n]) => `${t(`role.${role}`)} ${n}`)
                  .join(" · "),
            },
            { key: "money_in", label: t("rings.moneyIn"), cls: "num", cell: (g) => money(g.money_in) },
            { key: "senders", label: t("rings.senders"), cls: "num", cell: (g) => String(g.sender_count) },
            { key: "patterns", label: t("rings.patterns"), cell: (g) => (g.patterns.length ? `${tx(g.patterns[0])}${g.patterns.length > 1 ? ` (+${g.patterns.length - 1})` : ""}` : "—") },
          ],
          r.rings,
          { cls: "mt-rings-table", rowProps: (g) => ({ class: "mt-ring-row", data: { ring: g.ring_id } }) },
        ),
      );
    });
  }

  /**
   * Learning from a 断卡 team's confirmed cards: paste the list, the server trains a scorer, says how well
   * it finds the listed cards again (cross-validated), and answers with the rings found with it. Those
   * rings are ranked within this answer only, so they are shown here in full, not linked to #/rings/R….
   */
  function confirmedPanel(ctx) {
    const panel = section(t("rings.confirmed"), "mt-confirmed");
    const form = h(
      "form",
      { class: "mt-controls mt-confirmed-form" },
      h("label", { class: "mt-field mt-wide" }, h("span", { text: t("rings.confirmedList") }), h("textarea", { name: "accounts", rows: 4, placeholder: t("rings.confirmedPlaceholder") })),
      h("label", { class: "mt-field" }, h("span", { text: t("rings.confirmedSource") }), h("input", { name: "source", type: "text", placeholder: t("rings.confirmedSourcePlaceholder") })),
      h("button", { type: "submit", class: "mt-confirmed-btn", text: t("rings.confirmedRun") }),
    );
    const out = h("div", { class: "mt-confirmed-out" });
    panel.body.append(h("p", { class: "mt-hint", text: t("rings.confirmedHint") }), form, out);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const accounts = form.elements.accounts.value
        .split(/[\s,;]+/)
        .map((a) => a.trim())
        .filter(Boolean);
      const btn = form.querySelector(".mt-confirmed-btn");
      btn.disabled = true;
      out.replaceChildren(loading());
      try {
        const r = await api.post("/v1/rings/confirmed", { accounts, source: form.elements.source.value.trim() || undefined });
        if (!ctx.alive) return;
        out.replaceChildren(...confirmedResult(r));
      } catch (err) {
        out.replaceChildren(errorBox(err));
        showError(err);
      } finally {
        btn.disabled = false;
      }
    });
    return panel.el;
  }

  function confirmedResult(r) {
    const s = r.scorer;
    const pct = (x) => `${(100 * x).toFixed(1)}%`;
    const summary = h("p", {
      class: "mt-scorer",
      data: { confirmed: s.confirmed, flagged: s.flagged },
      text: t("rings.scorerSummary", {
        confirmed: s.confirmed,
        missing: s.confirmed_not_in_store.length,
        precision: pct(s.cv_precision),
        recall: pct(s.cv_recall),
        flagged: s.flagged,
        rings: r.rings.length,
      }),
    });
    const rings = r.rings.map((g) =>
      h(
        "details",
        { class: "mt-confirmed-ring", data: { ring: g.ring_id } },
        h("summary", { text: `${g.ring_id} · ${t("rings.score")} ${g.score} · ${t("rings.membersN", { n: g.members.length })} · ${money(g.money_in)}` }),
        table(
          [
            { key: "account", label: t("col.account"), cell: (m) => h("a", { href: href(["account", m.account]), text: m.account }) },
            { key: "role", label: t("rings.role"), cell: (m) => t(`role.${m.role}`) },
            { key: "evidence", label: t("rings.evidence"), cell: (m) => h("ul", { class: "mt-evidence" }, m.evidence.map(txItem)) },
          ],
          g.members,
        ),
      ),
    );
    return [summary, h("p", { class: "mt-hint", text: t("rings.scorerLowerBound") }), ...rings];
  }

  /**
   * The ring around an account: a ranked ring opens as itself (#/rings/R…, with its flows from the API);
   * a ring found only by anchoring on the account (A…) is shown here.
   */
  async function viewRingAround(ctx, root, account) {
    const ring = (await api.get(`/v1/rings/around/${enc(account)}`)).rings[0];
    if (!ctx.alive) return;
    if (ring && !anchored(ring)) return location.replace(href(["rings", ring.ring_id]));
    if (!ring) return root.append(empty(t("rings.noneAround", { account })));
    return viewRing(ctx, root, ring, account);
  }

  /**
   * One ring: its diagram (members by role, flows among them, shared attributes), members and evidence.
   * `around`: the account an anchored ring (A…) was found from.
   */
  async function viewRing(ctx, root, ring, around) {
    if (!ctx.alive) return;
    root.append(h("p", {}, h("a", { href: href(["rings"]), text: `← ${t("rings.title")}` })));
    document.title = `${ring.ring_id} · moneytrail`;
    const open = (account) => openPanel(ctx, root, account, null);
    root.append(
      h("h1", { text: t("rings.ringTitle", { id: ring.ring_id }) }),
      h("p", { class: "mt-subtitle", text: t("rings.summary", { score: ring.score, n: ring.members.length, money: money(ring.money_in), senders: ring.sender_count }) }),
    );
    if (anchored(ring)) root.append(h("p", { class: "mt-hint mt-anchored", text: t("rings.anchored", { account: around }) }));

    const diagram = section(t("rings.diagram"), "mt-ring-section");
    const legend = h(
      "div",
      { class: "mt-legend" },
      ["collector", "relay", "cashout"].map((r) => h("span", { class: `mt-key role-${r}`, text: t(`role.${r}`) })),
      ["device", "phone", "holder"].map((a) => h("span", { class: `mt-key attr-${a}`, text: t(`attr.${a}`) })),
      h("span", { class: "mt-key flow", text: t("rings.flow") }),
    );
    const host = h("div", { class: "mt-diagram" });
    const status = h("p", { class: "mt-hint" });
    diagram.body.append(legend, host, status);
    root.append(diagram.el);

    const draw = (flows) => {
      const el = drawRing(ring, flows);
      host.replaceChildren(el);
      fitHeight(host, el);
      const pz = panZoom(el);
      el.addEventListener("click", (e) => {
        const g = e.target.closest?.(".mt-ring-member[data-account]");
        if (g && !pz.dragged()) open(g.dataset.account);
      });
      el.addEventListener("keydown", (e) => {
        const g = e.target.closest?.(".mt-ring-member[data-account]");
        if (g && e.key === "Enter") open(g.dataset.account);
      });
    };

    const members = section(t("rings.members"), "mt-ring-members");
    members.body.append(
      table(
        [
          { key: "account", label: t("col.account"), cell: (m) => accountLink(m.account, open), value: (m) => m.account },
          { key: "role", label: t("rings.role"), cell: (m) => h("span", { class: ["mt-badge", `role-${m.role}`], text: t(`role.${m.role}`) }), value: (m) => m.role },
          { key: "holder", label: t("col.holder"), cell: (m) => `${m.holder_name} (${m.holder_id})` },
          { key: "bank", label: t("col.bank"), cell: (m) => m.bank },
          { key: "in", label: t("rings.moneyIn"), cls: "num", cell: (m) => money(m.money_in) },
          { key: "out", label: t("rings.moneyOut"), cls: "num", cell: (m) => money(m.money_out) },
          { key: "evidence", label: t("rings.evidence"), cell: (m) => h("ul", { class: "mt-evidence" }, m.evidence.map(txItem)) },
        ],
        ring.members,
        { rowProps: (m) => ({ class: "mt-member-row", data: { account: m.account, role: m.role } }) },
      ),
    );
    const shared = section(t("rings.shared"), "mt-ring-shared");
    shared.body.append(
      ring.shared_attributes.length
        ? table(
            [
              { key: "attribute", label: t("rings.attribute"), cell: (a) => t(`attr.${a.attribute}`) },
              { key: "value", label: t("rings.value"), cell: (a) => a.value },
              { key: "accounts", label: t("rings.cards"), cell: (a) => a.accounts.map((x, i) => [i ? ", " : "", accountLink(x, open)]) },
            ],
            ring.shared_attributes,
          )
        : empty("—"),
      h("h3", { text: t("rings.patterns") }),
      ring.patterns.length ? h("ul", { class: "mt-patterns" }, ring.patterns.map(txItem)) : empty("—"),
      h("h3", { text: t("rings.outsideSenders", { n: ring.sender_count }) }),
      table(
        [
          { key: "account", label: t("col.account"), cell: (s) => accountLink(s.account, open) },
          { key: "amount", label: t("col.amount"), cls: "num", cell: (s) => money(s.amount) },
        ],
        ring.senders,
      ),
    );
    root.append(members.el, shared.el);

    // Flows among the members come with the ring from the API (ranked and anchored rings alike).
    const flows = ring.flows || [];
    draw(flows.map((f) => ({ src: f.src, dst: f.dst, fen: toFen(f.amount), count: f.transfers })));
    host.dataset.flows = "done";
    status.textContent = t("rings.flowsDone", { n: flows.length });
  }

  // --- warnings -------------------------------------------------------------------------------------

  async function viewWarnings(ctx, root, _, q) {
    document.title = `${t("warn.title")} · moneytrail`;
    const status = q.get("status") === "all" ? "all" : "open";
    root.append(h("h1", { text: t("warn.title") }), h("p", { class: "mt-hint", text: t("warn.hint") }));

    const filter = h(
      "form",
      { class: "mt-controls" },
      h(
        "label",
        { class: "mt-field" },
        h("span", { text: t("warn.status") }),
        h("select", { name: "status" }, ["open", "all"].map((s) => h("option", { value: s, text: t(`warn.status.${s}`), selected: s === status }))),
      ),
      button(t("warn.refresh"), () => render(), "mt-refresh"),
    );
    filter.elements.status.addEventListener("change", () => (location.hash = href(["warnings"], { status: filter.elements.status.value })));

    const scanMsg = h("div", { class: "mt-form-msg" });
    const scan = h(
      "form",
      { class: "mt-controls mt-scan", autocomplete: "off" },
      h("label", { class: "mt-field" }, h("span", { text: t("warn.since") }), h("input", { name: "since", type: "text", size: 19, placeholder: "2026-01-01 00:00:00" })),
      h("label", { class: "mt-field" }, h("span", { text: t("warn.until") }), h("input", { name: "until", type: "text", size: 19, placeholder: t("warn.untilNow") })),
      operatorOnly(h("button", { type: "submit", class: "mt-primary mt-scan-btn", text: t("warn.scan") })),
      scanMsg,
    );
    // Scan from the store's first transfer unless told otherwise.
    api.get("/v1/stats").then(
      (s) => {
        if (ctx.alive && !scan.elements.since.value && s.first_transfer_at) scan.elements.since.value = when(s.first_transfer_at);
      },
      () => {},
    );
    scan.addEventListener("submit", async (e) => {
      e.preventDefault();
      const btn = scan.querySelector(".mt-scan-btn");
      btn.disabled = true;
      scanMsg.replaceChildren(loading());
      try {
        const r = await api.post("/v1/warnings/scan", { since: scan.elements.since.value.trim(), until: scan.elements.until.value.trim() || undefined });
        if (!ctx.alive) return;
        scanMsg.replaceChildren(h("span", { class: "mt-ok", text: t("warn.scanned", { n: r.new_warnings, watched: r.watched_accounts }) }));
        loadBoard();
      } catch (err) {
        scanMsg.replaceChildren(errorBox(err));
        showError(err);
      } finally {
        btn.disabled = false;
      }
    });

    const board = section(t("warn.board"), "mt-warnings");
    root.append(filter, scan, roleNote("perm.warnings"), board.el);
    const open = (account) => openPanel(ctx, root, account, null);
    const loadBoard = () => fill(ctx, board.body, api.get("/v1/warnings", { status }), (ws) => drawWarnings(ctx, board.body, ws, open));
    await loadBoard();
    // Warnings as they are raised (an upload lands, a case is registered): the board redraws at once.
    followWarnings(ctx, board, loadBoard);
  }

  /**
   * Reads GET /v1/warnings/stream (Server-Sent Events) with fetch, since EventSource cannot send the
   * bearer token, and calls `onWarning` for each warning event (redraws coalesced to one at a time). The
   * stream closes with the view; a broken one is opened again after a pause, and the board says whether it
   * is live.
   */
  function followWarnings(ctx, board, onWarning) {
    const live = h("span", { class: "mt-live", text: t("warn.connecting") });
    board.el.querySelector("h2")?.append(" ", live);
    let busy = false;
    let again = false;
    const redraw = async () => {
      if (busy) return void (again = true);
      busy = true;
      try {
        do {
          again = false;
          await onWarning();
        } while (again && ctx.alive);
      } finally {
        busy = false;
      }
    };
    const connect = async () => {
      while (ctx.alive) {
        try {
          const resp = await request("GET", "/v1/warnings/stream", { accept: "text/event-stream" });
          live.textContent = t("warn.live");
          live.classList.add("is-live");
          const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
          const signal = ctx.signal();
          signal.addEventListener("abort", () => reader.cancel().catch(() => {}));
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done || !ctx.alive) break;
            buffer += value;
            let end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              if (/^event: (warning|lagged)$/m.test(block)) redraw();
            }
          }
        } catch (_) {
          /* the connection broke or the view went away: reconnect below while the view lives */
        }
        if (!ctx.alive) return;
        live.textContent = t("warn.reconnecting");
        live.classList.remove("is-live");
        await new Promise((r) => setTimeout(r, 3000));
      }
    };
    connect();
  }

  function drawWarnings(ctx, box, warnings, open) {
    const counts = Object.fromEntries(GRADES.map((g) => [g, 0]));
    for (const w of warnings) if (!w.acknowledged_at) counts[w.grade] = (counts[w.grade] || 0) + 1;
    box.append(
      h(
        "div",
        { class: "mt-grade-counts" },
        GRADES.map((g) => h("span", { class: ["mt-badge", `grade-${g}`, "mt-grade-count"], data: { grade: g, count: counts[g] }, text: `${t(`grade.${g}`)} ${counts[g]}` })),
      ),
    );
    if (!warnings.length) return box.append(empty(t("warn.none")));

    // Live parts, rewritten every second: the deadlines, and the escalation levels with their countdowns.
    const deadlines = [];
    const escalations = [];
    const deadline = (w) => {
      const el = h("span", { class: ["mt-countdown", "mt-deadline"] });
      deadlines.push([el, Date.parse(w.deadline)]);
      return el;
    };
    const escalation = (w) => {
      const level = h("span", { class: "mt-escalation" });
      const next = h("span", { class: ["mt-countdown", "mt-next-escalation"] });
      escalations.push([w, level, next]);
      return [level, next];
    };
    const tick = () => {
      const now = serverNow();
      for (const [el, at] of deadlines) {
        const left = Math.floor((at - now) / 1000);
        el.dataset.seconds = String(left);
        el.classList.toggle("is-overdue", left < 0);
        el.textContent = left >= 0 ? t("warn.left", { c: clock(left) }) : t("warn.overdue", { c: clock(-left) });
      }
      for (const [w, levelEl, nextEl] of escalations) {
        const e = escalationAt(w, now);
        levelEl.dataset.level = String(e.level);
        levelEl.textContent = t("warn.level", { n: e.level });
        if (e.next == null) {
          nextEl.remove();
          continue;
        }
        const left = Math.max(0, Math.floor((e.next - now) / 1000));
        nextEl.dataset.seconds = String(left);
        nextEl.textContent = t("warn.nextLevel", { c: clock(left) });
      }
    };
    const ackCell = (w) => {
      const cell = h("div", { class: "mt-ack-cell" });
      const draw = (x) => {
        if (x.acknowledged_at) {
          cell.replaceChildren(h("span", { class: "mt-acked", text: t("warn.acked", { by: x.acknowledged_by, t: when(x.acknowledged_at) }) }));
          cell.closest("tr")?.classList.add("is-acked");
          return;
        }
        cell.replaceChildren(
          operatorOnly(button(t("warn.ack"), async (e) => {
            e.target.disabled = true;
            try {
              const acked = await api.post(`/v1/warnings/${enc(w.id)}/ack`);
              Object.assign(w, acked);
              draw(acked);
              tick(); // acknowledged: it escalates no more
            } catch (err) {
              e.target.disabled = false;
              cell.append(errorBox(err));
              showError(err);
            }
          }, "mt-ack")),
        );
      };
      queueMicrotask(() => draw(w));
      return cell;
    };
    box.append(
      table(
        [
          { key: "grade", label: t("warn.grade"), cell: (w) => h("span", { class: ["mt-badge", `grade-${w.grade}`], text: t(`grade.${w.grade}`) }), value: (w) => w.grade },
          {
            key: "deadline",
            label: t("warn.deadline"),
            cell: (w) => h("div", {}, deadline(w), h("div", { class: "mt-dim", text: when(w.deadline) })),
          },
          {
            key: "escalation",
            label: t("warn.escalation"),
            cell: (w) => [escalation(w), h("div", { class: "mt-dim", text: t("warn.raised", { t: when(w.created_at) }) })],
          },
          { key: "amount", label: t("col.amount"), cls: "num", cell: (w) => money(w.amount), value: (w) => w.amount },
          { key: "payer", label: t("warn.payer"), cell: (w) => [accountLink(w.payer, open), w.payer_name ? h("div", { class: "mt-dim", text: w.payer_name }) : null], value: (w) => w.payer },
          { key: "account", label: t("warn.into"), cell: (w) => accountLink(w.account, open), value: (w) => w.account },
          { key: "ts", label: t("warn.paidAt"), cell: (w) => [when(w.ts), h("div", { class: "mt-dim", text: w.txn_id })] },
          { key: "reasons", label: t("warn.reasons"), cell: (w) => h("ul", { class: "mt-evidence" }, w.reasons.map(txItem)) },
          { key: "ack", label: t("warn.ackCol"), cell: (w) => ackCell(w) },
        ],
        warnings,
        { cls: "mt-warnings-table", rowProps: (w) => ({ class: ["mt-warning", `grade-${w.grade}`, w.acknowledged_at && "is-acked"], data: { id: w.id, grade: w.grade } }) },
      ),
    );
    ctx.everySecond(tick);
  }

  const HOUR_MS = 3600000;

  /**
   * A warning's escalation level at `now` and when it goes up next (null once acknowledged or at level 3),
   * from what the server said when the board was loaded: its level then, and when it goes up next; after
   * that, one level an hour.
   */
  function escalationAt(w, now) {
    let level = w.escalation;
    let next = w.next_escalation_at ? Date.parse(w.next_escalation_at) : null;
    while (next != null && now >= next) {
      level += 1;
      next = level < 3 ? next + HOUR_MS : null;
    }
    return { level, next };
  }

  // --- stops ----------------------------------------------------------------------------------------

  async function viewStops(ctx, root) {
    document.title = `${t("stops.title")} · moneytrail`;
    root.append(h("h1", { text: t("stops.title") }), h("p", { class: "mt-hint", text: t("stops.hint") }));
    const list = section(t("stops.registry"), "mt-stops");
    root.append(list.el);
    const open = (account) => openPanel(ctx, root, account, null);
    await fill(ctx, list.body, api.get("/v1/stops"), (r) => {
      if (!r.stops.length) return list.body.append(empty(t("stops.none")));
      list.body.append(roleNote("perm.stops"));
      const countdowns = [];
      const action = (s, kind) =>
        operatorOnly(button(t(`stops.${kind}`), async (e) => {
          e.target.disabled = true;
          try {
            await api.post(`/v1/stops/${enc(s.id)}/${kind}`);
            render();
          } catch (err) {
            e.target.disabled = false;
            e.target.parentElement.append(errorBox(err));
            showError(err);
          }
        }, `mt-stop-${kind}`));
      const state = (s) => (s.released_at ? "released" : Date.parse(s.expires_at) <= serverNow() ? "expired" : "active");
      list.body.append(
        table(
          [
            { key: "id", label: t("stops.id"), cls: "num", cell: (s) => `#${s.id}` },
            { key: "account", label: t("col.account"), cell: (s) => accountLink(s.account, open), value: (s) => s.account },
            { key: "amount", label: t("stops.amount"), cls: "num", cell: (s) => money(s.amount), value: (s) => s.amount },
            { key: "state", label: t("freeze.status"), cell: (s) => h("span", { class: ["mt-badge", `stop-${state(s)}`], text: t(`stops.state.${state(s)}`) }), value: state },
            { key: "placed", label: t("stops.placed"), cell: (s) => `${when(s.placed_at)} · ${s.placed_by}` },
            {
              key: "expires",
              label: t("stops.expires"),
              cell: (s) => {
                const el = h("span", { class: "mt-countdown" });
                if (state(s) === "active") countdowns.push([el, Date.parse(s.expires_at)]);
                return [h("div", { text: when(s.expires_at) }), el];
              },
            },
            { key: "renewals", label: t("stops.renewalsLeft"), cls: "num", cell: (s) => String(s.renewals_left) },
            { key: "case", label: t("stops.case"), cell: (s) => (s.case_id ? h("a", { href: href(["case", s.case_id]), text: s.case_id }) : "—"), value: (s) => s.case_id },
            { key: "basis", label: t("freeze.basis"), cell: (s) => [s.basis_txn, s.note ? h("div", { class: "mt-dim", text: s.note }) : null] },
            { key: "actions", label: "", cell: (s) => (state(s) === "active" ? [s.renewals_left > 0 ? action(s, "renew") : null, action(s, "release")] : "") },
          ],
          r.stops,
          { cls: "mt-stops-table", rowProps: (s) => ({ class: ["mt-stop-row", `stop-${state(s)}`], data: { id: s.id, account: s.account } }) },
        ),
      );
      ctx.everySecond(() => {
        const now = serverNow();
        for (const [el, at] of countdowns) el.textContent = t("stops.left", { c: clock(Math.max(0, Math.floor((at - now) / 1000))) });
      });
    });
  }

  // --- case linking (串并) ------------------------------------------------------------------------------

  /** 串并 over every registered case: groups one gang likely ran, the links with their evidence, shared sinks. */
  async function viewLinks(ctx, root) {
    document.title = `${t("links.title")} · moneytrail`;
    root.append(h("h1", { text: t("links.title") }), h("p", { class: "mt-hint", text: t("links.hint") }));
    const box = section(t("links.all"), "mt-links");
    root.append(box.el);
    const open = (account) => openPanel(ctx, root, account, null);
    await fill(ctx, box.body, api.get("/v1/links"), (r) => drawLinks(box.body, r, open, null));
  }

  /** A link report: groups (with cohesion and defining accounts), cases alone, links, shared sinks. */
  function drawLinks(box, r, open, me) {
    const caseLink = (id) => (id === me ? h("strong", { text: id }) : h("a", { href: href(["case", id]), text: id }));
    const joined = (nodes) => nodes.flatMap((n, i) => (i ? [", ", n] : [n]));
    box.append(h("p", { class: "mt-subtitle", text: t("links.summary", { cases: r.cases, groups: r.groups.length, alone: r.alone.length, links: r.links.length }) }));
    if (r.groups.length) {
      box.append(
        h("h3", { text: t("links.groups") }),
        table(
          [
            { key: "group", label: t("links.group"), cell: (g) => g.group_id },
            { key: "cases", label: t("links.cases"), cell: (g) => joined(g.cases.map(caseLink)), value: (g) => g.cases.join(",") },
            { key: "cohesion", label: t("links.cohesion"), cls: "num", cell: (g) => g.cohesion.toFixed(2), value: (g) => g.cohesion },
            {
              key: "defining",
              label: t("links.defining"),
              cell: (g) =>
                g.defining_accounts.length
                  ? h("ul", { class: "mt-evidence" }, g.defining_accounts.slice(0, 5).map((d) => h("li", {}, accountLink(d.account, open), " ", h("span", { class: "mt-dim", text: t("links.definingWhat", { level: d.level, n: d.cases, money: money(d.money) }) }))))
                  : t("links.byAttributes"),
              value: (g) => g.defining_accounts.map((d) => d.account).join(","),
            },
          ],
          r.groups,
          { cls: "mt-groups-table", rowProps: (g) => ({ class: "mt-group-row", data: { group: g.group_id } }) },
        ),
      );
    }
    if (r.alone.length) box.append(h("p", { class: "mt-links-alone" }, t("links.alone"), " ", ...joined(r.alone.map(caseLink))));
    if (r.links.length) {
      box.append(
        h("h3", { text: t("links.links") }),
        table(
          [
            { key: "a", label: t("links.caseA"), cell: (l) => caseLink(l.case_a), value: (l) => l.case_a },
            { key: "b", label: t("links.caseB"), cell: (l) => caseLink(l.case_b), value: (l) => l.case_b },
            { key: "strength", label: t("links.strength"), cls: "num", cell: (l) => l.strength.toFixed(2), value: (l) => l.strength },
            { key: "evidence", label: t("links.evidence"), cell: (l) => h("ul", { class: "mt-evidence" }, l.evidence.slice(0, 3).map((e) => txItem(e.words))) },
          ],
          r.links.slice(0, 200),
          { cls: "mt-links-table", rowProps: (l) => ({ class: "mt-link-row", data: { a: l.case_a, b: l.case_b } }) },
        ),
      );
      if (r.links.length > 200) box.append(h("p", { class: "mt-hint", text: t("links.more", { n: r.links.length - 200 }) }));
    } else {
      box.append(empty(t("links.none")));
    }
    if (r.sinks.length) {
      box.append(
        h("h3", { text: t("links.sinks") }),
        h("p", { class: "mt-hint", text: t("links.sinksHint") }),
        table(
          [
            { key: "account", label: t("col.account"), cell: (x) => accountLink(x.account, open), value: (x) => x.account },
            { key: "cases", label: t("links.sinkCases"), cls: "num", cell: (x) => String(x.cases) },
            { key: "money", label: t("links.sinkMoney"), cls: "num", cell: (x) => money(x.money_from_cases), value: (x) => x.money_from_cases },
            { key: "why", label: t("links.sinkWhy"), cell: (x) => h("ul", { class: "mt-evidence" }, txItem(x.why)) },
          ],
          r.sinks,
          { cls: "mt-sinks-table", rowProps: (x) => ({ class: "mt-sink-row", data: { account: x.account } }) },
        ),
      );
    }
  }

  // --- statements (调单 replies) ------------------------------------------------------------------------

  /** Upload bank statements as the banks sent them, see what the import did, and check every account's balances. */
  async function viewStatements(ctx, root) {
    document.title = `${t("stmt.title")} · moneytrail`;
    root.append(h("h1", { text: t("stmt.title") }), h("p", { class: "mt-hint", text: t("stmt.hint") }));
    const up = section(t("stmt.upload"), "mt-stmt-upload");
    const result = h("div", { class: "mt-stmt-result" });
    const input = h("input", { type: "file", name: "file", multiple: true, accept: ".csv,.tsv,.txt,.xlsx,.xls" });
    const submit = operatorOnly(h("button", { type: "submit", class: "mt-primary mt-stmt-submit", text: t("stmt.submit") }));
    const form = h("form", { class: "mt-stmt-form" }, input, submit);
    const check = section(t("stmt.check"), "mt-stmt-check");
    const drawCheck = () =>
      fill(ctx, check.body, api.get("/v1/statements/check"), (r) => {
        if (!r.accounts.length) return check.body.append(empty(t("stmt.none")));
        check.body.append(
          table(
            [
              { key: "account", label: t("col.account"), cell: (a) => h("a", { href: href(["account", a.account]), text: a.account }), value: (a) => a.account },
              { key: "holder", label: t("col.holder"), cell: (a) => a.holder_name },
              { key: "from", label: t("stmt.from"), cell: (a) => (a.first ? when(a.first) : "—") },
              { key: "to", label: t("stmt.to"), cell: (a) => (a.last ? when(a.last) : "—") },
              { key: "records", label: t("stmt.lines"), cls: "num", cell: (a) => String(a.records) },
              { key: "opening", label: t("stmt.opening"), cls: "num", cell: (a) => (a.opening_balance ? money(a.opening_balance) : "—"), value: (a) => a.opening_balance || "" },
              { key: "closing", label: t("stmt.closing"), cls: "num", cell: (a) => (a.closing_balance ? money(a.closing_balance) : "—"), value: (a) => a.closing_balance || "" },
              {
                key: "breaks",
                label: t("stmt.breaks"),
                cell: (a) =>
                  a.breaks.length
                    ? h("ul", { class: "mt-breaks" }, a.breaks.map((b) => h("li", { text: t("stmt.break", { before: b.before, after: b.after, expected: money(b.expected_balance), found: money(b.found_balance), gap: money(b.gap) }) })))
                    : h("span", { class: "mt-badge stop-active", text: t("stmt.continuous") }),
                value: (a) => String(a.breaks.length),
              },
              { key: "files", label: t("stmt.files"), cell: (a) => a.files.join("、") },
            ],
            r.accounts,
            { cls: "mt-stmt-check-table", rowProps: (a) => ({ class: ["mt-stmt-account", a.breaks.length ? "has-breaks" : ""], data: { account: a.account, breaks: a.breaks.length } }) },
          ),
        );
      });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!input.files.length) return;
      const fd = new FormData();
      for (const f of input.files) fd.append("file", f, f.name);
      submit.disabled = true;
      result.replaceChildren(loading());
      try {
        const s = await api.upload("/v1/ingest/statements", fd);
        if (!ctx.alive) return;
        result.replaceChildren(importSummary(s));
        drawCheck();
      } catch (err) {
        result.replaceChildren(errorBox(err));
        showError(err);
      } finally {
        submit.disabled = !canOperate();
      }
    });
    up.body.append(roleNote("perm.statements"), form, result);
    root.append(up.el, check.el);
    await drawCheck();
  }

  /** What a statement import did: per file how it was read, the totals, ambiguous matches, rejected lines. */
  function importSummary(s) {
    const totals = h(
      "dl",
      { class: "mt-stmt-totals" },
      [
        ["lines_read", s.lines_read],
        ["transfers_added", s.transfers_added],
        ["mirrored_pairs", s.mirrored_pairs],
        ["merged_into_stored", s.merged_into_stored],
        ["lines_already_imported", s.lines_already_imported],
        ["lines_rejected", s.lines_rejected],
        ["balance_breaks", s.balance_breaks],
      ].map(([k, v]) => [h("dt", { text: t(`stmt.${k}`) }), h("dd", { data: { key: k, value: v }, text: String(v) })]),
    );
    const files = table(
      [
        { key: "file", label: t("stmt.file"), cell: (f) => f.file },
        { key: "encoding", label: t("stmt.encoding"), cell: (f) => f.encoding },
        { key: "lines", label: t("stmt.lines"), cls: "num", cell: (f) => String(f.lines) },
        { key: "rejected", label: t("stmt.rejected"), cls: "num", cell: (f) => String(f.rejected) },
        { key: "skipped", label: t("stmt.skipped"), cell: (f) => t("stmt.skippedText", { title: f.skipped_title, summary: f.skipped_summary, blank: f.skipped_blank }) },
      ],
      s.files,
      { cls: "mt-stmt-files", rowProps: (f) => ({ data: { file: f.file } }) },
    );
    const ambiguous = s.ambiguous.length
      ? h("div", { class: "mt-stmt-ambiguous" }, h("h3", { text: t("stmt.ambiguous") }), h("ul", {}, s.ambiguous.map((a) => h("li", { text: t("stmt.ambiguousText", { line: a.line, matched: a.matched_with, others: a.other_candidates.join("、") }) }))))
      : null;
    const rejects = s.rejects.length
      ? h(
          "div",
          { class: "mt-stmt-rejects" },
          h("h3", { text: t("stmt.rejects") }),
          table(
            [
              { key: "line", label: t("stmt.row"), cls: "num", cell: (r) => String(r.line) },
              { key: "field", label: t("stmt.field"), cell: (r) => r.field },
              { key: "value", label: t("stmt.value"), cell: (r) => r.value },
              { key: "reason", label: t("stmt.reason"), cell: (r) => r.reason },
            ],
            s.rejects,
            { cls: "mt-stmt-rejects-table" },
          ),
        )
      : null;
    return h("div", { class: "mt-stmt-summary" }, totals, files, ambiguous, rejects);
  }

  // ---------------------------------------------------------------------------------------------------
  // 6. flow diagram: the server's SVG
  // ---------------------------------------------------------------------------------------------------

  /**
   * The elements a diagram is drawn with: everything else (script, foreignObject, a, image, style,
   * animation, any element of another namespace) could run code, load something or navigate, and goes
   * with its content.
   */
  const SVG_KEEP = new Set(["svg", "g", "defs", "marker", "pattern", "clipPath", "mask", "linearGradient", "radialGradient", "stop", "symbol", "use", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan", "title", "desc"]);
  const isHref = (name) => name.toLowerCase() === "href" || name.toLowerCase().endsWith(":href");
  /** An href anywhere but "#id" in this document. */
  const hrefOut = (v) => !v.trim().startsWith("#");
  /** A property value with a url(…) other than url(#id), or a CSS escape that could hide one. */
  const urlOut = (v) => /url\((?!\s*['"]?#)|\\/i.test(v);

  /**
   * Parses the server's diagram as XML, removes anything active, and returns the imported <svg>
   * (class mt-flow: g.mt-account[data-account…] boxes, path.mt-edge[data-src][data-dst][data-traced]).
   * Kept: the elements of SVG_KEEP (a <use> only if it points inside), without event handlers, inline
   * style or references out of the document. Data attributes are inert text and stay as they are.
   */
  function importFlowSvg(text) {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    if (doc.getElementsByTagName("parsererror").length || root.localName !== "svg" || root.namespaceURI !== SVG_NS) {
      throw new ApiError(0, "bad_svg", t("diagram.badSvg"));
    }
    const linksOut = (el) => [...el.attributes].some((a) => isHref(a.name) && hrefOut(a.value));
    const walk = (el) => {
      for (const a of [...el.attributes]) {
        const name = a.name.toLowerCase();
        const out = isHref(name) ? hrefOut(a.value) : !name.startsWith("data-") && urlOut(a.value);
        if (out || name.startsWith("on") || name === "style") el.removeAttribute(a.name);
      }
      for (const child of [...el.children]) {
        const keep = child.namespaceURI === SVG_NS && SVG_KEEP.has(child.localName) && !(child.localName === "use" && linksOut(child));
        if (keep) walk(child);
        else child.remove();
      }
    };
    walk(root);
    const el = document.importNode(root, true);
    el.removeAttribute("width"); // the page sizes it; the viewBox keeps its proportions
    el.removeAttribute("height");
    el.classList.add("mt-zoomable");
    return el;
  }

  /**
   * Pan (drag) and zoom (wheel, around the pointer) by rewriting the viewBox. `dragged()` tells a click
   * handler that the pointer moved, so the end of a drag does not open an account.
   */
  function panZoom(el) {
    const start = el.viewBox.baseVal;
    const home = { x: start.x, y: start.y, w: start.width, h: start.height };
    if (!home.w || !home.h) return { zoom() {}, reset() {}, dragged: () => false };
    let vb = { ...home };
    let moved = false;
    const apply = () => el.setAttribute("viewBox", `${vb.x} ${vb.y} ${vb.w} ${vb.h}`);
    /** SVG units per screen pixel (the picture is fitted whole: preserveAspectRatio meet). */
    const scale = () => {
      const r = el.getBoundingClientRect();
      return Math.max(vb.w / (r.width || 1), vb.h / (r.height || 1));
    };
    const toSvg = (cx, cy) => {
      const r = el.getBoundingClientRect();
      const s = scale();
      return { x: vb.x + vb.w / 2 + (cx - r.left - r.width / 2) * s, y: vb.y + vb.h / 2 + (cy - r.top - r.height / 2) * s };
    };
    const zoomAt = (factor, p) => {
      const f = Math.min(Math.max(factor, home.w / 20 / vb.w), (home.w * 4) / vb.w); // between 20× in and 4× out
      vb = { x: p.x - (p.x - vb.x) * f, y: p.y - (p.y - vb.y) * f, w: vb.w * f, h: vb.h * f };
      apply();
    };
    el.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        zoomAt(Math.exp(e.deltaY * 0.0015), toSvg(e.clientX, e.clientY));
      },
      { passive: false },
    );
    el.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      const sx = e.clientX;
      const sy = e.clientY;
      const s = scale();
      const from = { ...vb };
      moved = false;
      const move = (ev) => {
        const dx = ev.clientX - sx;
        const dy = ev.clientY - sy;
        if (!moved && Math.hypot(dx, dy) < 4) return;
        moved = true;
        el.classList.add("is-dragging");
        vb = { ...from, x: from.x - dx * s, y: from.y - dy * s };
        apply();
      };
      const up = () => {
        window.removeEventListener("pointermove", move);
        window.removeEventListener("pointerup", up);
        el.classList.remove("is-dragging");
      };
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", up);
    });
    el.addEventListener("dblclick", () => {
      vb = { ...home };
      apply();
    });
    return {
      zoom: (f) => zoomAt(f, { x: vb.x + vb.w / 2, y: vb.y + vb.h / 2 }),
      reset: () => {
        vb = { ...home };
        apply();
      },
      dragged: () => moved,
    };
  }

  // ---------------------------------------------------------------------------------------------------
  // 7. ring diagram, built here
  // ---------------------------------------------------------------------------------------------------

  const RING = { nodeW: 210, nodeH: 54, colGap: 130, rowH: 66, pad: 24, top: 40, attrW: 210, attrH: 26, attrGap: 14 };

  /**
   * A ring as SVG: members as boxes in columns by role (collector → relay → cash-out, the way the money
   * goes), flows among them as arrows as wide as the money, shared attributes (device, phone, holder) as
   * small nodes below, linked to the cards that share them. Colours come from app.css by class.
   */
  function drawRing(ring, flows) {
    const order = ["collector", "relay", "cashout"];
    const roles = [...new Set([...order.filter((r) => ring.members.some((m) => m.role === r)), ...ring.members.map((m) => m.role)])];
    const columns = roles.map((role) => ring.members.filter((m) => m.role === role).sort((a, b) => toFen(b.money_in) - toFen(a.money_in)));
    const pos = new Map();
    columns.forEach((col, ci) =>
      col.forEach((m, ri) => pos.set(m.account, { x: RING.pad + ci * (RING.nodeW + RING.colGap), y: RING.top + ri * RING.rowH })),
    );
    const width = Math.max(RING.pad * 2 + roles.length * (RING.nodeW + RING.colGap) - RING.colGap, 720);
    const membersBottom = RING.top + Math.max(1, ...columns.map((c) => c.length)) * RING.rowH;
    const perRow = Math.max(1, Math.floor((width - 2 * RING.pad + RING.attrGap) / (RING.attrW + RING.attrGap)));
    const attrs = ring.shared_attributes.map((a, i) => ({
      ...a,
      x: RING.pad + (i % perRow) * (RING.attrW + RING.attrGap),
      y: membersBottom + 70 + Math.floor(i / perRow) * (RING.attrH + 40),
    }));
    const height = (attrs.length ? attrs[attrs.length - 1].y + RING.attrH : membersBottom) + RING.pad;

    const root = svg("svg", { class: "mt-ring mt-zoomable", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": t("rings.ringTitle", { id: ring.ring_id }) });
    root.append(
      svg(
        "defs",
        {},
        svg("marker", { id: "mt-ring-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 5, markerHeight: 5, orient: "auto-start-reverse" }, svg("path", { d: "M0,0L10,5L0,10z", class: "mt-ring-arrowhead" })),
      ),
      svg("rect", { class: "mt-ring-bg", width, height }),
    );
    roles.forEach((role, ci) =>
      root.append(svg("text", { class: "mt-ring-column", x: RING.pad + ci * (RING.nodeW + RING.colGap), y: RING.top - 14 }, `${t(`role.${role}`)} (${columns[ci].length})`)),
    );

    // Attribute links first (behind), then flows, then the boxes on top.
    const links = svg("g", { class: "mt-ring-links" });
    for (const a of attrs) {
      for (const acct of a.accounts) {
        const p = pos.get(acct);
        if (!p) continue;
        links.append(svg("line", { class: `mt-ring-link attr-${a.attribute}`, x1: a.x + RING.attrW / 2, y1: a.y, x2: p.x + RING.nodeW / 2, y2: p.y + RING.nodeH }));
      }
    }
    const flowLayer = svg("g", { class: "mt-ring-flows" });
    const max = Math.max(1, ...flows.map((f) => f.fen));
    for (const f of flows) {
      const s = pos.get(f.src);
      const d = pos.get(f.dst);
      if (!s || !d) continue;
      const y1 = s.y + RING.nodeH / 2;
      const y2 = d.y + RING.nodeH / 2;
      let path;
      if (d.x > s.x) {
        const x1 = s.x + RING.nodeW;
        const c = (d.x - x1) / 2;
        path = `M${x1},${y1} C${x1 + c},${y1} ${d.x - c},${y2} ${d.x},${y2}`;
      } else {
        // Same column or backwards: loop out of the right side and back in on the right side.
        const x1 = s.x + RING.nodeW;
        const x2 = d.x + RING.nodeW;
        const bulge = 40 + Math.abs(y2 - y1) * 0.25;
        path = `M${x1},${y1} C${x1 + bulge},${y1} ${x2 + bulge},${y2} ${x2},${y2}`;
      }
      const p = svg("path", {
        class: "mt-ring-flow",
        d: path,
        "stroke-width": (1 + 8 * Math.sqrt(f.fen / max)).toFixed(1),
        "marker-end": "url(#mt-ring-arrow)",
        "data-src": f.src,
        "data-dst": f.dst,
        "data-amount": fenToYuan(f.fen),
      });
      p.append(svg("title", {}, `${f.src} → ${f.dst}: ${money(fenToYuan(f.fen))} (${t("rings.transfersN", { n: f.count })})`));
      flowLayer.append(p);
    }
    const nodes = svg("g", { class: "mt-ring-nodes" });
    for (const m of ring.members) {
      const p = pos.get(m.account);
      const g = svg("g", { class: `mt-ring-member role-${m.role}`, "data-account": m.account, "data-role": m.role, tabindex: 0 });
      g.append(
        svg("title", {}, `${m.account}\n${m.holder_name} (${m.holder_id}) ${m.bank}\n${m.evidence.map(tx).join("\n")}`),
        svg("rect", { x: p.x, y: p.y, width: RING.nodeW, height: RING.nodeH, rx: 6 }),
        svg("text", { class: "mt-ring-acct", x: p.x + 8, y: p.y + 17 }, m.account),
        svg("text", { class: "mt-ring-name", x: p.x + 8, y: p.y + 33 }, `${m.holder_name} · ${m.bank}`),
        svg("text", { class: "mt-ring-money", x: p.x + 8, y: p.y + 48 }, `${t("rings.in")} ${money(m.money_in)}`),
      );
      nodes.append(g);
    }
    for (const a of attrs) {
      const g = svg("g", { class: `mt-ring-attr attr-${a.attribute}`, "data-attribute": a.attribute, "data-value": a.value });
      g.append(
        svg("title", {}, `${t(`attr.${a.attribute}`)} ${a.value}: ${a.accounts.length}`),
        svg("rect", { x: a.x, y: a.y, width: RING.attrW, height: RING.attrH, rx: RING.attrH / 2 }),
        svg("text", { x: a.x + 10, y: a.y + 17 }, `${t(`attr.${a.attribute}`)} ${a.value.length > 18 ? `…${a.value.slice(-16)}` : a.value} ×${a.accounts.length}`),
      );
      nodes.append(g);
    }
    root.append(links, flowLayer, nodes);
    return root;
  }

  // ---------------------------------------------------------------------------------------------------
  // 8. CSV export
  // ---------------------------------------------------------------------------------------------------

  /** One CSV cell: quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it as a formula. */
  function csvCell(v) {
    let s = v == null ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }
  const toCsv = (rows) => rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";

  /**
   * The freeze proposals for the stop-payment system: the table's columns (the same texts, amounts as
   * plain decimals), then the basis transfer and the trace's parameters.
   */
  function freezeCsv(report, stops, src) {
    const cols = freezeColumns(null, () => "").filter((c) => c.key !== "status");
    const header = [...cols.map((c) => c.label), t("freeze.status"), t("csv.lastArrival"), t("csv.basisTime"), t("csv.fromAccount"), t("csv.fromName"), t("csv.basisAmount"), t("csv.basisTraced"), t("csv.case"), t("tot.rule"), t("csv.asOf")];
    const rows = report.proposals.map((p) => {
      const stop = activeStop(stops, p.account);
      return [
        ...cols.map((c) => c.value(p)),
        stop ? t("freeze.stopped", { id: stop.id, until: when(stop.expires_at) }) : "",
        when(p.last_arrival),
        when(p.basis.ts),
        p.basis.from_account,
        p.basis.from_name,
        p.basis.amount,
        p.basis.traced,
        src.caseId,
        report.rule,
        when(report.as_of),
      ];
    });
    return toCsv([header, ...rows]);
  }

  function freezeFileName(src, report) {
    const stamp = (report.as_of || "").slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
    return `freeze-${(src.caseId || "trace").replace(/[^\w.-]+/g, "_")}-${report.rule}${stamp ? `-${stamp}` : ""}.csv`;
  }

  /** File name for the case folder: what was traced and under which rule. */
  function folderName(src, opts) {
    return `trace-${(src.caseId || "adhoc").replace(/[^\w.-]+/g, "_")}-${opts.rule || "fifo"}`;
  }

  /** Saves a document (SVG, HTML) as it came from the server. */
  function saveFile(name, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
    const a = h("a", { href: url, download: name, class: "mt-download" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  /** Saves `text` as a file, with a UTF-8 byte order mark so Excel reads the Chinese right. */
  function download(name, text) {
    const url = URL.createObjectURL(new Blob(["\uFEFF", text], { type: "text/csv;charset=utf-8" }));
    const a = h("a", { href: url, download: name, class: "mt-download" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---------------------------------------------------------------------------------------------------
  // 9. boot: sign-in, language, routing
  // ---------------------------------------------------------------------------------------------------

  /** The header: the sign-in form, or who is signed in and with which role. */
  function updateSessionUi() {
    const known = session.token && me && meToken === session.token;
    $("#mt-signin").hidden = !!session.token;
    $("#mt-session").hidden = !session.token;
    $("#mt-session").dataset.role = known ? me.role : "";
    $("#mt-session-text").textContent = known ? t("signin.as", { name: me.name, role: roleName(me.role) }) : "";
  }

  /** Signed out, or the server refused the token (401): forget it and ask again. */
  function signedOut() {
    session.token = "";
    me = null;
    updateSessionUi();
  }

  $("#mt-signin").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("#mt-token");
    const token = input.value.trim();
    if (!token) return;
    session.token = token;
    input.value = "";
    try {
      await whoami(); // proves the token and says whose it is
      render();
    } catch (err) {
      if (err.status !== 401) updateSessionUi();
      showError(err);
    }
  });
  $("#mt-signout").addEventListener("click", () => {
    signedOut();
    render();
  });
  $("#mt-lang").addEventListener("click", () => setLang(lang === "zh" ? "en" : "zh"));
  $("#mt-error-close").addEventListener("click", hideError);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") document.querySelector(".mt-panel")?.remove();
  });
  window.addEventListener("hashchange", render);

  applyStaticLabels();
  render();

  // For the browser tests only (the page opened with ?test): the sanitiser, to feed it hostile SVG.
  if (new URLSearchParams(location.search).has("test")) window.__mt_test = { importFlowSvg };
})();
