// Browser tests of the web view (viz/), run by scripts/browser-test.sh against a fresh server on the
// sample world: `node tests/browser/viz.test.mjs http://127.0.0.1:PORT`.
//
// Each test drives Debian's Chromium (playwright-core, no downloaded browser) and checks what the page
// shows against independent expectations: the JSON API, fetched here directly, and the sample world's
// ground truth (datasets/sample/*.csv). Every test also fails on a console error, uncaught exception or
// dialog (alert) in the page, on a request to any origin but the server's, and on an HTTP error the test
// did not provoke.
//
// Prints one line per test and a closing `browser: N passed, M failed` (also written to
// $MT_SHOT_DIR/summary.txt); exits non-zero on any failure. Screenshots go to $MT_SHOT_DIR (default
// target/browser/).

import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const BASE = (process.argv[2] || process.env.MT_BASE || "").replace(/\/$/, "");
if (!BASE) {
  console.error("usage: node viz.test.mjs BASE_URL (e.g. http://127.0.0.1:8080)");
  process.exit(2);
}
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SHOTS = process.env.MT_SHOT_DIR || path.join(ROOT, "target/browser");
const CHROMIUM = process.env.MT_CHROMIUM || "/usr/bin/chromium";
const ONLY = process.env.MT_ONLY || ""; // run only tests whose name contains this
fs.mkdirSync(SHOTS, { recursive: true });

const ANALYST = "demo-analyst-token-0000";
const OPERATOR = "demo-operator-token-0000";
const CASE = "CASE-00009";
const TIMEOUT = 15000;

// ------------------------------------------------------------------------------------------------
// Independent expectations: the API (from node) and the sample world's files
// ------------------------------------------------------------------------------------------------

async function api(pathAndQuery, { token = ANALYST, method = "GET", body } = {}) {
  const resp = await fetch(BASE + pathAndQuery, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await resp.json();
  if (!resp.ok) throw new Error(`${method} ${pathAndQuery}: ${resp.status} ${JSON.stringify(json)}`);
  return json;
}

/** RFC 4180 CSV → rows of cells (quotes, doubled quotes, CRLF). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(cell), (cell = "");
    else if (c === "\n") row.push(cell), rows.push(row), (row = []), (cell = "");
    else if (c !== "\r") cell += c;
  }
  if (cell || row.length) row.push(cell), rows.push(row);
  return rows;
}

/** A CSV file of the sample world as objects keyed by its header. */
function readCsv(rel) {
  const [header, ...rows] = parseCsv(fs.readFileSync(path.join(ROOT, rel), "utf8"));
  return rows.filter((r) => r.length > 1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

const truth = {
  get cases() {
    return (this._cases ??= readCsv("datasets/sample/truth/cases.csv"));
  },
  get holdings() {
    return (this._holdings ??= readCsv("datasets/sample/truth/holdings.csv"));
  },
  get flows() {
    return (this._flows ??= readCsv("datasets/sample/truth/case_flows.csv"));
  },
  get transfers() {
    return (this._transfers ??= readCsv("datasets/sample/transfers.csv"));
  },
  get accounts() {
    return (this._accounts ??= new Map(readCsv("datasets/sample/accounts.csv").map((a) => [a.account_id, a])));
  },
};

const fen = (yuan) => Math.round(Number(yuan) * 100);

// ------------------------------------------------------------------------------------------------
// Runner
// ------------------------------------------------------------------------------------------------

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
let browser;

/**
 * A fresh browser context (its own sessionStorage and localStorage) with a page that records console
 * errors, uncaught exceptions, requests leaving the server's origin and HTTP errors.
 */
async function openPage(rec) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const origin = new URL(BASE).origin;
  page.on("console", (m) => {
    if (m.type() === "error") rec.console.push(m.text());
  });
  page.on("pageerror", (e) => rec.pageErrors.push(e.message));
  page.on("dialog", (d) => {
    rec.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on("request", (r) => {
    const u = r.url();
    rec.requests.push(u);
    if (!u.startsWith("data:") && !u.startsWith("blob:") && new URL(u).origin !== origin) rec.outside.push(u);
  });
  page.on("response", (r) => {
    if (r.status() >= 400) rec.httpErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  rec.context = context;
  return page;
}

async function signIn(page, token) {
  await page.goto(`${BASE}/viz/`);
  await page.fill("#mt-token", token);
  await page.click("#mt-signin-submit");
  await page.waitForSelector("#mt-session", { state: "visible" });
}

/** Signs out and in again with another token, on the page as it is. */
async function switchUser(page, token, role) {
  await page.click("#mt-signout");
  await page.fill("#mt-token", token);
  await page.click("#mt-signin-submit");
  await page.waitForSelector(`#mt-session[data-role="${role}"]`);
}

/** Opens a hash route of the page (already signed in) and waits for a selector. */
async function open(page, hash, selector) {
  await page.goto(`${BASE}/viz/${hash}`);
  if (selector) await page.waitForSelector(selector);
}

const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

async function run() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  let passed = 0;
  let failed = 0;
  for (const t of tests) {
    if (ONLY && !t.name.includes(ONLY)) continue;
    // `expect` lists HTTP statuses the test provokes on purpose (Chromium logs them as console errors).
    const rec = { console: [], pageErrors: [], dialogs: [], requests: [], outside: [], httpErrors: [], expect: new Set(), context: null };
    const started = Date.now();
    let page;
    try {
      page = await openPage(rec);
      await t.fn(page, rec);
      assert.deepEqual(rec.pageErrors, [], "uncaught exceptions in the page");
      assert.deepEqual(rec.dialogs, [], "dialogs opened by the page (alert, confirm)");
      assert.deepEqual(rec.outside, [], "requests to another origin");
      const unexpected = rec.httpErrors.filter((e) => !rec.expect.has(Number(e.split(" ")[0])));
      assert.deepEqual(unexpected, [], "HTTP errors the test did not provoke");
      const consoleErrors = rec.console.filter((m) => {
        const status = /status of (\d{3})/.exec(m);
        return !(status && rec.expect.has(Number(status[1])));
      });
      assert.deepEqual(consoleErrors, [], "console errors");
      passed++;
      console.log(`ok   ${t.name} (${Date.now() - started} ms)`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${t.name}\n     ${String(err.stack || err).split("\n").slice(0, 8).join("\n     ")}`);
      if (page) await shot(page, `FAIL-${t.name.replace(/[^\w]+/g, "-")}`).catch(() => {});
    } finally {
      await rec.context?.close().catch(() => {});
    }
  }
  await browser.close();
  const summary = `browser: ${passed} passed, ${failed} failed`;
  fs.writeFileSync(path.join(SHOTS, "summary.txt"), `${summary}\n`); // for make test's closing line
  console.log(summary);
  process.exit(failed ? 1 : 0);
}

// ------------------------------------------------------------------------------------------------
// Page readers
// ------------------------------------------------------------------------------------------------

/** The flow diagram's accounts and edges, as the SVG's data attributes say. */
/** The diagram on the page; with `view` ({rule, hops}), only once the one drawn for that query is there. */
async function readDiagram(page, view) {
  const host = view ? `.mt-diagram${view.rule ? `[data-rule="${view.rule}"]` : ""}${view.hops ? `[data-hops="${view.hops}"]` : ""} ` : "";
  await page.waitForSelector(`${host}svg.mt-flow g.mt-account`);
  return page.evaluate(() => ({
    accounts: [...document.querySelectorAll("svg.mt-flow g.mt-account")].map((g) => ({
      account: g.dataset.account,
      hop: Number(g.dataset.hop),
      held: g.dataset.held,
      terminal: g.dataset.terminal || "",
    })),
    edges: [...document.querySelectorAll("svg.mt-flow path.mt-edge")].map((e) => ({ src: e.dataset.src, dst: e.dataset.dst, traced: e.dataset.traced })),
    stubs: [...document.querySelectorAll("svg.mt-flow g.mt-beyond")].map((g) => ({ src: g.dataset.src, traced: g.dataset.traced })),
    levels: [...document.querySelectorAll("svg.mt-flow text.mt-level")].map((x) => x.textContent),
  }));
}

/** The freeze table: one object per row from the cells' data-value. */
async function readFreezeTable(page) {
  await page.waitForSelector(".mt-freeze-table tr.mt-proposal");
  return page.evaluate(() =>
    [...document.querySelectorAll(".mt-freeze-table tr.mt-proposal")].map((tr) => ({
      account: tr.dataset.account,
      stopped: tr.dataset.stopped === "1",
      cells: Object.fromEntries([...tr.querySelectorAll("td[data-col]")].map((td) => [td.dataset.col, td.dataset.value ?? td.textContent])),
    })),
  );
}

/** Outcomes of a traced transfer drawn as an arrow: money followed onwards, back to a victim or into a terminal. */
const ARROW_OUTCOMES = new Set(["followed", "returned", "cash", "otc", "platform", "merchant", "frozen"]);

/**
 * What the diagram must show for a trace, from its JSON alone: every reached account and every victim;
 * an arrow per pair of accounts with the money followed between them (summed); and a dashed stub per
 * account whose money went on past the hop limit (beyond_hops, summed), even when that money landed on
 * an account already drawn (a cycle, an account of the same level): it was not followed, so it is no
 * arrow. Money under the cut-off is in the totals only.
 */
function expectedDiagram(trace) {
  const accounts = new Map();
  for (const s of trace.seeds) accounts.set(s.victim, { account: s.victim, hop: 0, held: "0.00", terminal: "" });
  for (const a of trace.accounts) {
    const victim = accounts.get(a.account);
    accounts.set(a.account, { account: a.account, hop: victim ? 0 : a.hop, held: a.held, terminal: a.terminal || "" });
  }
  const listed = new Set(trace.transfers.map((x) => x.txn_id));
  for (const s of trace.seeds) assert.ok(listed.has(s.txn_id), `seed ${s.txn_id} is among the traced transfers`);
  const edges = new Map();
  const stubs = new Map();
  const add = (map, key, yuan) => map.set(key, (map.get(key) || 0) + fen(yuan));
  for (const x of trace.transfers) {
    if (fen(x.traced) <= 0) continue;
    if (ARROW_OUTCOMES.has(x.outcome)) add(edges, `${x.src}>${x.dst}`, x.traced);
    else if (x.outcome === "beyond_hops") add(stubs, x.src, x.traced);
    else assert.equal(x.outcome, "below_cutoff", `outcome of ${x.txn_id}`);
  }
  for (const k of edges.keys()) for (const a of k.split(">")) assert.ok(accounts.has(a), `arrow ${k}: ${a} is drawn`);
  return { accounts, edges, stubs };
}

function assertDiagramMatches(diagram, trace, what) {
  const want = expectedDiagram(trace);
  const got = new Map(diagram.accounts.map((a) => [a.account, a]));
  assert.equal(got.size, diagram.accounts.length, `${what}: an account drawn twice`);
  assert.deepEqual([...got.keys()].sort(), [...want.accounts.keys()].sort(), `${what}: the accounts drawn are the trace's accounts and victims`);
  for (const [acct, w] of want.accounts) {
    const g = got.get(acct);
    assert.equal(g.hop, w.hop, `${what}: level of ${acct}`);
    assert.equal(g.terminal, w.terminal, `${what}: terminal kind of ${acct}`);
    if (w.hop > 0) assert.equal(fen(g.held), fen(w.held), `${what}: held amount on ${acct}`);
  }
  const gotEdges = new Map(diagram.edges.map((e) => [`${e.src}>${e.dst}`, fen(e.traced)]));
  assert.equal(gotEdges.size, diagram.edges.length, `${what}: a pair drawn twice`);
  assert.deepEqual([...gotEdges.keys()].sort(), [...want.edges.keys()].sort(), `${what}: the arrows are the money followed`);
  for (const [k, v] of want.edges) assert.equal(gotEdges.get(k), v, `${what}: traced amount on ${k}`);
  const gotStubs = new Map(diagram.stubs.map((s) => [s.src, fen(s.traced)]));
  assert.equal(gotStubs.size, diagram.stubs.length, `${what}: two stubs out of one account`);
  assert.deepEqual(gotStubs, want.stubs, `${what}: the stubs are the money past the hop limit, per account`);
  // No money counted twice: what the arrows bring into an account is what the trace says reached it.
  const tracedIn = new Map(trace.accounts.map((a) => [a.account, fen(a.traced_in)]));
  for (const acct of got.keys()) {
    const arrows = diagram.edges.filter((e) => e.dst === acct).reduce((s, e) => s + fen(e.traced), 0);
    assert.equal(arrows, tracedIn.get(acct) || 0, `${what}: arrows into ${acct} = its traced_in`);
  }
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

test("sign-in: a token is asked for, kept in sessionStorage, never in a URL; a bad one is refused with 401", async (page, rec) => {
  rec.expect.add(401);
  await page.goto(`${BASE}/viz/#/case/${CASE}`);
  await page.waitForSelector(".mt-signin-first");
  assert.equal(await page.isVisible("#mt-signin"), true);

  await page.fill("#mt-token", "not-a-token-of-this-server");
  await page.click("#mt-signin-submit");
  await page.waitForSelector("#mt-error:not([hidden])");
  const msg = await page.textContent("#mt-error-text");
  assert.match(msg, /401/, "the banner names the status");
  assert.match(msg, /bearer token is required/, "the banner shows the server's message");
  assert.equal(await page.isVisible("#mt-signin"), true, "still asking for a token");

  await page.fill("#mt-token", ANALYST);
  await page.click("#mt-signin-submit");
  await page.waitForSelector(".mt-freeze-table");
  // Who is signed in, with the role, as /v1/whoami says.
  const who = await api("/v1/whoami");
  assert.deepEqual(who, { name: "demo analyst", role: "analyst" });
  assert.equal(await page.getAttribute("#mt-session", "data-role"), "analyst");
  assert.equal(await page.textContent("#mt-session-text"), "demo analyst（分析员）");
  await page.click("#mt-lang");
  await page.waitForSelector('#mt-session-text:text("demo analyst (analyst)")');
  await page.click("#mt-lang");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("moneytrail.token")), ANALYST);
  assert.equal(await page.evaluate((tok) => Object.values(localStorage).includes(tok), ANALYST), false, "token in localStorage");
  assert.ok(!page.url().includes(ANALYST), "token in the page's URL");
  assert.deepEqual(rec.requests.filter((u) => u.includes("token-0000")), [], "token in a request URL");
});

test("case diagram: accounts, levels, held amounts, terminals and flows equal the API's trace", async (page) => {
  await signIn(page, ANALYST);
  await open(page, `#/case/${CASE}`);
  const diagram = await readDiagram(page);
  const trace = await api(`/v1/cases/${CASE}/trace`);
  assertDiagramMatches(diagram, trace, `${CASE} fifo`);
  await shot(page, "case-diagram");

  // A case with terminals: every kind the trace reached is drawn on its account.
  await open(page, "#/case/CASE-00002");
  const d2 = await readDiagram(page);
  const t2 = await api("/v1/cases/CASE-00002/trace");
  assertDiagramMatches(d2, t2, "CASE-00002 fifo");
  const kinds = new Set(d2.accounts.map((a) => a.terminal).filter(Boolean));
  assert.ok(kinds.size >= 2, `terminal kinds drawn: ${[...kinds]}`);

  // Fewer levels: money past the limit is drawn as stubs, never as arrows, even when it lands on an
  // account already drawn (at hops=2, 622909413027827219 pays one of its own level).
  for (const hops of [2, 3]) {
    await open(page, `#/case/CASE-00002?hops=${hops}`);
    await page.waitForFunction((n) => document.querySelector(".mt-totals [data-key=rule]")?.textContent.includes(`${n} 层`), hops);
    const d = await readDiagram(page);
    const t = await api(`/v1/cases/CASE-00002/trace?hops=${hops}`);
    assert.ok(t.transfers.some((x) => x.outcome === "beyond_hops" && d.accounts.some((a) => a.account === x.dst)), `hops=${hops}: money past the limit lands on a drawn account`);
    assertDiagramMatches(d, t, `CASE-00002 fifo hops=${hops}`);
    assert.ok(d.stubs.length > 0, `hops=${hops}: stubs drawn`);
  }
});

test("case diagram agrees with the sample world's ground truth", async (page) => {
  await signIn(page, ANALYST);
  await open(page, `#/case/${CASE}`);
  const diagram = await readDiagram(page);
  const byAccount = new Map(diagram.accounts.map((a) => [a.account, a]));
  const c = truth.cases.find((x) => x.case_id === CASE);
  const seeds = c.seed_txn_ids.split(";");
  const txns = new Map(truth.transfers.filter((x) => seeds.includes(x.txn_id)).map((x) => [x.txn_id, x]));
  for (const id of seeds) {
    const x = txns.get(id);
    assert.equal(byAccount.get(x.src)?.hop, 0, `victim ${x.src} of ${id} at level 0`);
    assert.equal(byAccount.get(x.dst)?.hop, 1, `first-level card ${x.dst} of ${id} at level 1`);
  }
  // The stolen amount is what the diagram's flows out of the victims carry.
  const fromVictims = diagram.edges.filter((e) => byAccount.get(e.src)?.hop === 0).reduce((s, e) => s + fen(e.traced), 0);
  assert.equal(fromVictims, fen(c.stolen_amount), "money leaving the victims = stolen amount");
  // Every account the truth says still holds 100 yuan or more of the case's money is drawn holding money.
  for (const h of truth.holdings.filter((x) => x.case_id === CASE && fen(x.amount) >= 10000)) {
    assert.ok(fen(byAccount.get(h.account)?.held || 0) > 0, `truth: ${h.account} holds ${h.amount}; the diagram shows it holding money`);
  }
  // Every flow drawn between two accounts is carried by transfers the truth marks as this case's.
  const caseTxns = new Set(truth.flows.filter((f) => f.case_id === CASE).map((f) => f.txn_id));
  const casePairs = new Set(truth.transfers.filter((x) => caseTxns.has(x.txn_id)).map((x) => `${x.src}>${x.dst}`));
  for (const e of diagram.edges) assert.ok(casePairs.has(`${e.src}>${e.dst}`), `flow ${e.src} → ${e.dst} is the case's money`);
});

test("the picture follows rule, hops and as-of", async (page) => {
  await signIn(page, ANALYST);
  await open(page, `#/case/${CASE}`);
  await readDiagram(page);
  for (const rule of ["lifo", "proportional", "poison"]) {
    await page.selectOption(".mt-controls select[name=rule]", rule);
    await page.waitForFunction((r) => location.hash.includes(`rule=${r}`), rule);
    const d = await readDiagram(page, { rule });
    assertDiagramMatches(d, await api(`/v1/cases/${CASE}/trace?rule=${rule}`), `${CASE} ${rule}`);
    const totals = await page.$eval(".mt-totals [data-key=rule]", (el) => el.dataset.value);
    assert.equal(totals, rule, "the totals are of the same rule");
  }
  await page.fill(".mt-controls input[name=hops]", "2");
  await page.click(".mt-controls button[type=submit]");
  await page.waitForFunction(() => location.hash.includes("hops=2"));
  const d2 = await readDiagram(page, { rule: "poison", hops: 2 });
  assert.ok(Math.max(...d2.accounts.map((a) => a.hop)) <= 2, "no account beyond level 2");
  const t2 = await api(`/v1/cases/${CASE}/trace?rule=poison&hops=2`);
  assertDiagramMatches(d2, t2, `${CASE} poison hops=2`);

  // As of 12:30 the money had reached the second level only in part.
  await open(page, `#/case/${CASE}?as_of=${encodeURIComponent("2026-01-10 12:30:00")}`);
  const d3 = await readDiagram(page);
  assertDiagramMatches(d3, await api(`/v1/cases/${CASE}/trace?as_of=${encodeURIComponent("2026-01-10 12:30:00")}`), `${CASE} as of 12:30`);
  const held = await page.$eval(".mt-totals [data-key=held]", (el) => el.dataset.value);
  assert.equal(held, (await api(`/v1/cases/${CASE}/trace?as_of=${encodeURIComponent("2026-01-10 12:30:00")}`)).totals.held);
});

test("trace totals beside the diagram equal the API's", async (page) => {
  await signIn(page, ANALYST);
  await open(page, "#/case/CASE-00001", ".mt-totals");
  const trace = await api("/v1/cases/CASE-00001/trace");
  const shown = await page.$$eval(".mt-totals dd[data-key]", (dds) => Object.fromEntries(dds.map((d) => [d.dataset.key, d.dataset.value])));
  for (const k of ["seed_total", "held", "terminals", "returned", "below_cutoff", "beyond_hops"]) assert.equal(shown[k], trace.totals[k], k);
  assert.equal(shown.conserved, "true");
  // Terminals by kind add up to the terminals total.
  const kinds = await page.$$eval(".mt-terminal-kinds dd[data-key]", (dds) => dds.map((d) => [d.dataset.key, d.dataset.value]));
  assert.ok(kinds.length > 0, "terminal kinds listed");
  assert.equal(kinds.reduce((s, [, v]) => s + fen(v), 0), fen(trace.totals.terminals));
  // Statements to request are listed as the API gives them (by held amount).
  const st = await page.$$eval(".mt-statements tr[data-account]", (trs) => trs.map((tr) => tr.dataset.account));
  assert.deepEqual(st, trace.statements_to_request.map((s) => s.account));
});

test("freeze table rows equal the API's proposals, in order", async (page) => {
  await signIn(page, ANALYST);
  for (const id of [CASE, "CASE-00003"]) {
    await open(page, `#/case/${id}`);
    const rows = await readFreezeTable(page);
    const report = await api(`/v1/cases/${id}/freeze`);
    assert.equal(rows.length, report.proposals.length, `${id}: row count`);
    assert.deepEqual(rows.map((r) => r.account), report.proposals.map((p) => p.account), `${id}: accounts in order`);
    rows.forEach((r, i) => {
      const p = report.proposals[i];
      assert.equal(r.cells.amount, p.amount, `${id}: amount of ${p.account}`);
      assert.equal(r.cells.holder, p.holder_name, `${id}: holder of ${p.account}`);
      assert.equal(Number(r.cells.level), p.level);
      assert.equal(r.cells.basis, p.basis.txn_id);
    });
    const urgency = await page.$$eval(".mt-freeze-table tr.mt-proposal", (trs) => trs.map((tr) => [...tr.classList].find((c) => c.startsWith("urgency-"))));
    assert.deepEqual(urgency, report.proposals.map((p) => `urgency-${p.urgency}`), `${id}: urgency`);
  }
  await shot(page, "freeze-table");
});

test("CSV export: UTF-8 with BOM, same rows and cells as the table", async (page) => {
  await signIn(page, ANALYST);
  await open(page, `#/case/${CASE}`);
  const rows = await readFreezeTable(page);
  const headers = await page.$$eval(".mt-freeze-table th[data-col]", (ths) => ths.map((th) => [th.dataset.col, th.textContent]));
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(".mt-export-csv")]);
  assert.match(download.suggestedFilename(), /^freeze-CASE-00009-fifo.*\.csv$/);
  const bytes = fs.readFileSync(await download.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 byte order mark");
  const csv = parseCsv(bytes.subarray(3).toString("utf8"));
  const [head, ...body] = csv;
  const cols = headers.filter(([k]) => k !== "status");
  assert.deepEqual(head.slice(0, cols.length), cols.map(([, label]) => label), "CSV header = table header");
  assert.equal(body.length, rows.length, "one CSV row per table row");
  body.forEach((cells, i) => {
    cols.forEach(([k], j) => assert.equal(cells[j], String(rows[i].cells[k]), `row ${i + 1}, ${k}`));
  });
  assert.ok(body.some((r) => r.includes("陈磊")), "Chinese names survive the export");
  const report = await api(`/v1/cases/${CASE}/freeze`);
  assert.deepEqual(body.map((r) => r[cols.findIndex(([k]) => k === "amount")]), report.proposals.map((p) => p.amount));
});

test("case folder: the diagram saved as SVG is the one shown; the HTML page stands alone", async (page) => {
  await signIn(page, ANALYST);
  await open(page, `#/case/${CASE}`);
  const shown = await readDiagram(page);
  const [svgFile] = await Promise.all([page.waitForEvent("download"), page.click(".mt-save-svg")]);
  assert.match(svgFile.suggestedFilename(), /^trace-CASE-00009-fifo\.svg$/);
  const svg = fs.readFileSync(await svgFile.path(), "utf8");
  assert.ok(svg.startsWith("<svg"), "an SVG document");
  const accounts = [...svg.matchAll(/class="mt-account" data-account="([^"]+)"/g)].map((m) => m[1]).sort();
  assert.deepEqual(accounts, shown.accounts.map((a) => a.account).sort(), "same accounts as on screen");
  const [pageFile] = await Promise.all([page.waitForEvent("download"), page.click(".mt-save-html")]);
  assert.match(pageFile.suggestedFilename(), /^trace-CASE-00009-fifo\.html$/);
  const html = fs.readFileSync(await pageFile.path(), "utf8");
  assert.ok(html.startsWith("<!doctype html>") && html.includes("CASE-00009") && html.includes("<svg"));
  assert.ok(!/<script|\ssrc=|href=/i.test(html), "no script, nothing to fetch: it opens offline");
  const trace = await api(`/v1/cases/${CASE}/trace`);
  for (const a of trace.accounts) assert.ok(html.includes(`<td>${a.account}</td>`), `account ${a.account} listed`);
});

test("clicking an account in the diagram opens its profile, ring and transfers", async (page) => {
  await signIn(page, ANALYST);
  await open(page, `#/case/${CASE}`);
  await readDiagram(page);
  const account = "6222025163499492982"; // the largest proposal; a relay card of ring 1 in the truth
  await page.click(`svg.mt-flow g.mt-account[data-account="${account}"]`);
  await page.waitForSelector(`.mt-panel[data-account="${account}"] .mt-acct-attrs`);
  assert.equal(await page.textContent(".mt-panel .mt-acct-number"), account);
  const holder = truth.accounts.get(account).holder_name;
  assert.ok((await page.textContent(".mt-panel .mt-acct-holder")).includes(holder), `holder ${holder} shown`);
  const attrs = await page.$$eval(".mt-panel .mt-acct-attrs dd", (dds) => Object.fromEntries(dds.map((d) => [d.dataset.key, d.textContent])));
  assert.equal(attrs.device_id, truth.accounts.get(account).device_id);
  // Its place in the trace and the traced transfer into it.
  const trace = await api(`/v1/cases/${CASE}/trace`);
  const entry = trace.accounts.find((a) => a.account === account);
  assert.equal(await page.$eval(".mt-panel .mt-acct-trace dd[data-key=held]", (d) => d.dataset.value), entry.held);
  await page.waitForSelector(".mt-panel tr.mt-transfer");
  const traced = await page.$$eval(".mt-panel tr.mt-transfer.is-traced", (trs) => trs.map((tr) => tr.dataset.txn));
  assert.ok(traced.includes("T00012914"), "the traced transfer into it is marked");
  // Its ring, as the API says: one of the ranked list, linked to its page.
  const around = await api(`/v1/rings/around/${account}`);
  await page.waitForSelector(".mt-panel .mt-ring-line");
  assert.deepEqual(await page.$$eval(".mt-panel .mt-ring-line", (ps) => ps.map((p) => p.dataset.ring)), around.rings.map((r) => r.ring_id));
  const ranked = (await api("/v1/rings")).rings.map((r) => r.ring_id);
  const ringId = around.rings[0].ring_id;
  assert.ok(ranked.includes(ringId), `${ringId} is in the ranked list`);
  assert.equal(await page.getAttribute(".mt-panel .mt-ring-line a", "href"), `#/rings/${ringId}`);
  // Features are shown.
  assert.ok((await page.$$(".mt-panel .mt-feature-list dd")).length >= 10);
  await shot(page, "account-panel");
  await page.click(".mt-panel .mt-ring-line a");
  await page.waitForSelector(".mt-ring-section .mt-diagram[data-flows=done]");
  assert.equal(await page.textContent("h1"), `团伙 ${ringId}`);
  assert.ok(await page.$(`svg.mt-ring g.mt-ring-member[data-account="${account}"]`), "the account is in the ring drawn");
  // The old link from an account to its ring opens the ranked ring's own page.
  await open(page, `#/rings/around/${account}`);
  await page.waitForFunction((id) => location.hash === `#/rings/${id}`, ringId);
  await page.waitForSelector(".mt-ring-section .mt-diagram[data-flows=done]");
});

test("account panel from the freeze table, and the account page as a deep link", async (page) => {
  await signIn(page, ANALYST);
  await open(page, `#/case/${CASE}`);
  const rows = await readFreezeTable(page);
  const account = rows[1].account;
  await page.click(`.mt-freeze-table tr[data-account="${account}"] a.mt-acct-link`);
  await page.waitForSelector(`.mt-panel[data-account="${account}"] .mt-acct-attrs`);
  assert.equal(await page.textContent(".mt-panel .mt-acct-number"), account);
  assert.ok((await page.textContent(".mt-panel .mt-acct-holder")).includes(truth.accounts.get(account).holder_name));
  await page.keyboard.press("Escape");
  assert.equal(await page.$(".mt-panel"), null, "Escape closes the panel");

  const report = await api(`/v1/accounts/${account}?limit=100`);
  await open(page, `#/account/${account}`, ".mt-account-page .mt-acct-attrs");
  assert.equal(await page.textContent(".mt-account-page .mt-acct-number"), account);
  await page.waitForSelector(".mt-account-page tr.mt-transfer");
  const txns = await page.$$eval(".mt-account-page tr.mt-transfer", (trs) => trs.map((tr) => tr.dataset.txn));
  assert.deepEqual(txns, report.transfers.map((x) => x.txn_id), "the account's transfers, in the API's order");
});

test("an account's money traced upstream: origins, kinds, cases and chains equal the API's", async (page) => {
  // The first collector of the sample world: victims paid it directly, and their cases are registered.
  const collector = readCsv("datasets/sample/truth/mules.csv").find((m) => m.role === "collector").account;
  const want = await api("/v1/trace", { method: "POST", body: { upstream: collector, rule: "lifo" } });
  assert.ok(want.origins.some((o) => o.kind === "registered_victim" && o.cases.length), "a registered victim among the origins");
  await signIn(page, ANALYST);
  await open(page, `#/account/${collector}`, ".mt-account-page .mt-up-run");
  await page.selectOption(".mt-account-page .mt-up-rule", "lifo");
  await page.click(".mt-account-page .mt-up-run");
  await page.waitForSelector(".mt-account-page tr.mt-origin-row");
  const rows = await page.$$eval(".mt-account-page tr.mt-origin-row", (trs) =>
    trs.map((tr) => ({
      account: tr.dataset.account,
      kind: tr.querySelector('td[data-col="kind"]').dataset.value,
      amount: tr.querySelector('td[data-col="amount"]').dataset.value,
      cases: tr.querySelector('td[data-col="cases"]').dataset.value,
      chain: tr.querySelectorAll('td[data-col="chain"] li').length,
    })),
  );
  assert.deepEqual(rows, want.origins.map((o) => ({ account: o.account, kind: o.kind, amount: o.amount, cases: o.cases.join(","), chain: o.chain.length })));
  const inflow = await page.$eval('.mt-account-page .mt-up-totals dd[data-key="inflow"]', (d) => d.dataset.value);
  assert.equal(inflow, want.totals.inflow);
  await shot(page, "upstream");
});

test("an analyst sees the stop buttons disabled, with why; the API refuses an analyst's stop (403)", async (page, rec) => {
  await signIn(page, ANALYST);
  await open(page, `#/case/${CASE}`);
  const rows = await readFreezeTable(page);
  const account = rows[0].account;
  const buttons = await page.$$eval(".mt-freeze-table .mt-place-stop", (bs) => bs.map((b) => [b.disabled, b.title]));
  assert.equal(buttons.length, rows.length, "every row shows the action");
  for (const [disabled, title] of buttons) {
    assert.equal(disabled, true, "disabled for an analyst");
    assert.match(title, /操作员/, "the tooltip names the role needed");
  }
  assert.match(await page.textContent(".mt-freeze .mt-role-note"), /分析员.*登记止付需要操作员角色/);
  await page.click("#mt-lang");
  await page.waitForSelector('.mt-freeze .mt-role-note:text("recording a stop needs the operator role")');
  assert.equal(await page.$(".mt-stop-form"), null, "no stop form opened");

  // The server decides, whatever the page shows: an analyst's stop is refused and nothing is recorded.
  const resp = await fetch(`${BASE}/v1/stops`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ANALYST}`, "Content-Type": "application/json" },
    body: JSON.stringify({ account, amount: rows[0].cells.amount, case_id: CASE, basis_txn: rows[0].cells.basis, note: "test" }),
  });
  assert.equal(resp.status, 403);
  assert.deepEqual(await resp.json(), { error: { code: "forbidden", message: "this needs the operator role" } });
  assert.equal((await api("/v1/stops")).stops.filter((s) => s.account === account).length, 0, "no stop recorded");

  // A page that thinks the role allows it (a role changed since sign-in) still shows the server's 403.
  rec.expect.add(403);
  await page.route("**/v1/whoami", (route) => route.fulfill({ json: { name: "demo analyst", role: "operator" } }));
  await page.reload();
  await page.click(`tr[data-account="${account}"] .mt-place-stop`);
  await page.click(`tr[data-account="${account}"] .mt-confirm-stop`);
  await page.waitForSelector("#mt-error:not([hidden])");
  assert.match(await page.textContent("#mt-error-text"), /403.*this needs the operator role/);
  assert.match(await page.textContent(`tr[data-account="${account}"] .mt-error-inline`), /operator/, "and in the row");
  assert.equal((await readFreezeTable(page))[0].stopped, false);
  assert.equal((await api("/v1/stops")).stops.filter((s) => s.account === account).length, 0, "still no stop recorded");
  await shot(page, "stop-403");
});

test("an operator places a stop from the table: the row shows stopped and the registry lists it", async (page) => {
  await signIn(page, OPERATOR);
  await open(page, `#/case/${CASE}`);
  assert.equal(await page.textContent("#mt-session-text"), "demo operator（操作员）");
  assert.equal(await page.$(".mt-role-note"), null, "nothing is disabled for an operator");
  const before = await readFreezeTable(page);
  const row = before[1];
  assert.equal(row.stopped, false);
  await page.click(`tr[data-account="${row.account}"] .mt-place-stop`);
  const amount = await page.inputValue(`tr[data-account="${row.account}"] .mt-stop-form input[name=amount]`);
  assert.equal(amount, row.cells.amount, "the held amount is proposed");
  await page.click(`tr[data-account="${row.account}"] .mt-confirm-stop`);
  await page.waitForSelector(`tr[data-account="${row.account}"][data-stopped="1"] .mt-stopped`);
  const stopId = await page.$eval(`tr[data-account="${row.account}"] .mt-stopped`, (el) => el.dataset.stopId);

  const stops = (await api("/v1/stops")).stops.filter((s) => s.account === row.account);
  assert.equal(stops.length, 1, "the registry lists one stop on the account");
  assert.equal(String(stops[0].id), stopId);
  assert.equal(stops[0].amount, row.cells.amount);
  assert.equal(stops[0].case_id, CASE);
  assert.equal(stops[0].basis_txn, row.cells.basis);
  assert.equal(stops[0].placed_by, "demo operator");

  // It stays stopped after a reload, and only that row is.
  await page.reload();
  const after = await readFreezeTable(page);
  assert.deepEqual(after.map((r) => r.stopped), before.map((r) => r.account === row.account));
  // The stops page lists it as active.
  await open(page, "#/stops", ".mt-stops-table");
  const listed = await page.$$eval(".mt-stop-row", (trs) => trs.map((tr) => [tr.dataset.account, [...tr.classList].includes("stop-active")]));
  assert.ok(listed.some(([a, active]) => a === row.account && active));
  await shot(page, "stops");

  // An analyst sees the registry with renew and release disabled, and why.
  const sel = `.mt-stop-row[data-id="${stopId}"]`;
  await switchUser(page, ANALYST, "analyst");
  await page.waitForSelector(`${sel} .mt-stop-release`);
  assert.deepEqual(await page.$$eval(`${sel} button`, (bs) => bs.map((b) => [b.className, b.disabled])), [["mt-stop-renew", true], ["mt-stop-release", true]]);
  assert.match(await page.textContent(".mt-stops .mt-role-note"), /续期和解除止付需要操作员角色/);
  await switchUser(page, OPERATOR, "operator");
  await page.waitForSelector(`${sel} .mt-stop-release:not([disabled])`);

  // Renew it (48 hours more, two renewals allowed), then release it: the registry follows.
  await page.click(`${sel} .mt-stop-renew`);
  await page.waitForSelector(`${sel} td[data-col=renewals]:text("1")`);
  let s = (await api("/v1/stops")).stops.find((x) => String(x.id) === stopId);
  assert.equal(s.renewals, 1);
  const in48h = Date.now() + 48 * 3600 * 1000;
  assert.ok(Math.abs(Date.parse(s.expires_at) - in48h) < 120 * 1000, `renewed for 48 hours from now: ${s.expires_at}`);
  assert.ok(Date.parse(s.expires_at) >= Date.parse(stops[0].expires_at));
  await page.click(`${sel} .mt-stop-release`);
  await page.waitForSelector(`${sel}.stop-released`);
  s = (await api("/v1/stops")).stops.find((x) => String(x.id) === stopId);
  assert.ok(s.released_at, "released in the registry");
});

test("unknown routes say so", async (page) => {
  await signIn(page, ANALYST);
  for (const hash of ["#/nowhere", "#/constructor", "#/__proto__"]) {
    await open(page, hash, ".mt-view .mt-empty");
    assert.equal(await page.isVisible("#mt-error"), false);
  }
});

test("language: Chinese by default, English on the toggle, remembered; the diagram is asked for in the language", async (page, rec) => {
  await signIn(page, ANALYST);
  await open(page, `#/case/${CASE}`, ".mt-freeze-table");
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  assert.equal(await page.textContent('#mt-nav a[data-nav="warnings"]'), "资金预警");
  assert.equal(await page.textContent('.mt-freeze-table th[data-col="urgency"]'), "紧急程度");
  assert.ok(rec.requests.some((u) => u.includes("format=svg") && u.includes("lang=zh")), "diagram asked for in Chinese");

  await page.click("#mt-lang");
  await page.waitForSelector('.mt-freeze-table th[data-col="urgency"]:text("Urgency")');
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.textContent('#mt-nav a[data-nav="warnings"]'), "Warnings");
  assert.equal(await page.textContent("#mt-lang"), "中文");
  assert.ok(rec.requests.some((u) => u.includes("format=svg") && u.includes("lang=en")), "diagram asked for in English");

  await page.reload();
  await page.waitForSelector(".mt-freeze-table");
  assert.equal(await page.textContent('.mt-freeze-table th[data-col="urgency"]'), "Urgency", "the choice is remembered");
  await page.click("#mt-lang");
  await page.waitForSelector('.mt-freeze-table th[data-col="urgency"]:text("紧急程度")');
});

test("the diagram's own labels follow the language", async (page) => {
  await signIn(page, ANALYST);
  await open(page, `#/case/${CASE}`);
  const zh = await readDiagram(page);
  assert.ok(zh.levels.some((l) => /级|受害人/.test(l)), `Chinese level headers: ${zh.levels}`);
  await page.click("#mt-lang");
  await page.waitForFunction(() => [...document.querySelectorAll("svg.mt-flow text.mt-level")].some((x) => /Level|Victim/.test(x.textContent)));
});

test("ad hoc trace: seeds or a victim's window, traced with POST; results equal the API's", async (page) => {
  await signIn(page, ANALYST);
  await open(page, "#/", ".mt-adhoc");
  const c = truth.cases.find((x) => x.case_id === "CASE-00004");
  const seeds = c.seed_txn_ids.split(";");
  await page.fill(".mt-adhoc textarea[name=seeds]", seeds.join(", "));
  await page.selectOption(".mt-adhoc select[name=rule]", "lifo");
  await page.fill(".mt-adhoc input[name=as_of]", c.report_time);
  await page.click(".mt-adhoc button[type=submit]");
  await page.waitForFunction(() => location.hash.startsWith("#/trace?"));
  await page.waitForSelector(".mt-totals");
  const body = { seed_txn_ids: seeds, rule: "lifo", as_of: c.report_time };
  const trace = await api("/v1/trace", { method: "POST", body });
  assert.equal(await page.$eval(".mt-totals [data-key=seed_total]", (d) => d.dataset.value), trace.totals.seed_total);
  assert.equal(fen(trace.totals.seed_total), fen(c.stolen_amount), "truth: the stolen amount");
  const freeze = await api("/v1/freeze", { method: "POST", body });
  if (freeze.proposals.length) assert.deepEqual((await readFreezeTable(page)).map((r) => r.account), freeze.proposals.map((p) => p.account));
  else await page.waitForSelector(".mt-freeze .mt-empty");

  // The victim and a window instead of transfer ids.
  await open(page, "#/", ".mt-adhoc");
  await page.fill(".mt-adhoc input[name=victims]", truth.cases.find((x) => x.case_id === CASE).victim_account);
  await page.fill(".mt-adhoc input[name=from]", "2026-01-10 00:00:00");
  await page.fill(".mt-adhoc input[name=to]", "2026-01-10 23:59:59");
  await page.fill(".mt-adhoc input[name=as_of]", "2026-01-10 14:30:41");
  await page.click(".mt-adhoc button[type=submit]");
  await page.waitForSelector(".mt-freeze-table");
  const rows = await readFreezeTable(page);
  const report = await api(`/v1/cases/${CASE}/freeze`);
  assert.deepEqual(rows.map((r) => r.account), report.proposals.map((p) => p.account), "the same proposals as the registered case");
});

test("one as-of for a whole view: without one, every request and both saved files use the as-of shown", async (page) => {
  // The as-of each trace and freeze request asks for (epoch ms; null when it asks for none).
  const asked = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (!/^\/v1\/(cases\/[^/]+\/)?(trace|freeze)$/.test(u.pathname)) return;
    const asOf = r.method() === "POST" ? r.postDataJSON().as_of : u.searchParams.get("as_of");
    asked.push([`${r.method()} ${u.pathname}${u.searchParams.get("format") ? ` ${u.searchParams.get("format")}` : ""}`, asOf ? Date.parse(asOf) : null]);
  });
  const shownAsOf = () => page.$eval(".mt-totals [data-key=as_of]", (d) => d.dataset.value);
  const saved = async (button) => {
    const [file] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
    return fs.readFileSync(await file.path(), "utf8");
  };
  await signIn(page, ANALYST);

  // An ad hoc trace as of now: "now" is pinned once, and the saves a second later are of the same instant.
  const c = truth.cases.find((x) => x.case_id === CASE);
  await open(page, "#/", ".mt-adhoc");
  await page.fill(".mt-adhoc textarea[name=seeds]", c.seed_txn_ids.split(";").join(", "));
  await page.click(".mt-adhoc button[type=submit]");
  await page.waitForSelector(".mt-totals");
  await page.waitForSelector(".mt-freeze-summary");
  await readDiagram(page);
  const asOf = await shownAsOf();
  assert.ok(Math.abs(Date.parse(asOf) - Date.now()) < 60000, `as of now: ${asOf}`);
  assert.match(await page.textContent(".mt-freeze-summary"), new RegExp(asOf.slice(0, 19).replace("T", " ")), "the freeze proposals are of the same as-of");
  await page.waitForTimeout(1100);
  const svg = await saved(".mt-save-svg");
  const html = await saved(".mt-save-html");
  assert.ok(svg.includes(`截至 ${asOf}`), "the saved diagram is as of the time shown");
  assert.ok(html.includes(`截至 ${asOf}`), "the saved page is as of the time shown");
  assert.deepEqual(asked.map(([what]) => what).sort(), ["POST /v1/freeze", "POST /v1/trace", "POST /v1/trace html", "POST /v1/trace svg"]);
  for (const [what, at] of asked) assert.equal(at, Date.parse(asOf), `${what} asks for the as-of shown`);

  // A registered case: its report time, asked for explicitly by every request.
  asked.length = 0;
  await open(page, `#/case/${CASE}`, ".mt-freeze-summary");
  await readDiagram(page);
  const report = Date.parse((await api(`/v1/cases/${CASE}`)).report_time);
  assert.equal(Date.parse(await shownAsOf()), report);
  assert.ok((await saved(".mt-save-html")).includes(`截至 ${await shownAsOf()}`));
  assert.equal(asked.length, 4);
  for (const [what, at] of asked) assert.equal(at, report, `${what} asks for the report time`);
});

test("rings: a pasted list of confirmed cards trains the scorer; its rings show the confirmed cards named by line", async (page) => {
  await signIn(page, ANALYST);
  const mules = readCsv("datasets/sample/truth/mules.csv").map((m) => m.account);
  const listed = mules.filter((_, i) => i % 2 === 0);
  const want = await api("/v1/rings/confirmed", { method: "POST", body: { accounts: listed, source: "op-7" } });
  await open(page, "#/rings", ".mt-confirmed-form");
  await page.fill(".mt-confirmed-form textarea[name=accounts]", listed.join("\n"));
  await page.fill(".mt-confirmed-form input[name=source]", "op-7");
  await page.click(".mt-confirmed-btn");
  await page.waitForSelector(".mt-confirmed-out .mt-scorer");
  const shown = await page.$eval(".mt-confirmed-out .mt-scorer", (p) => [Number(p.dataset.confirmed), Number(p.dataset.flagged)]);
  assert.deepEqual(shown, [listed.length, want.scorer.flagged], "the scorer's counts are the API's");
  assert.deepEqual(
    await page.$$eval(".mt-confirmed-ring", (ds) => ds.map((d) => d.dataset.ring)),
    want.rings.map((r) => r.ring_id),
    "one entry per ring of the answer",
  );
  // Each confirmed card the rings hold is named with its line in the pasted list (1-based).
  await page.click(".mt-confirmed-ring summary");
  const first = want.rings[0].members.find((m) => listed.includes(m.account));
  assert.ok(first, "the first ring holds a confirmed card");
  const line = listed.indexOf(first.account) + 1;
  const evidence = await page.$$eval(".mt-confirmed-ring[open] li", (ls) => ls.map((l) => l.textContent));
  assert.ok(evidence.some((e) => e.includes("op-7") && e.includes(String(line))), `confirmed card named by line ${line}: ${evidence}`);
  await shot(page, "rings-confirmed");
});

test("rings: the ranked list equals the API's; a ring's diagram has its members, roles, attributes and flows", async (page, rec) => {
  await signIn(page, ANALYST);
  const { rings } = await api("/v1/rings");
  assert.ok(rings.length > 0, "the sample world has rings");
  await open(page, "#/rings", ".mt-rings-table");
  assert.deepEqual(await page.$$eval("tr.mt-ring-row", (trs) => trs.map((tr) => tr.dataset.ring)), rings.map((r) => r.ring_id));
  await shot(page, "rings");

  const ring = rings[0];
  await page.click(`tr.mt-ring-row[data-ring="${ring.ring_id}"] a`);
  await page.waitForSelector("svg.mt-ring g.mt-ring-member");
  const members = await page.$$eval("svg.mt-ring g.mt-ring-member", (gs) => gs.map((g) => [g.dataset.account, g.dataset.role]));
  assert.equal(members.length, ring.members.length, "one node per member");
  assert.deepEqual(new Map(members), new Map(ring.members.map((m) => [m.account, m.role])), "members and roles");
  const attrs = await page.$$eval("svg.mt-ring g.mt-ring-attr", (gs) => gs.map((g) => `${g.dataset.attribute}:${g.dataset.value}`));
  assert.deepEqual(attrs.sort(), ring.shared_attributes.map((a) => `${a.attribute}:${a.value}`).sort(), "shared attributes");
  const links = await page.$$eval("svg.mt-ring line.mt-ring-link", (ls) => ls.length);
  assert.equal(links, ring.shared_attributes.reduce((s, a) => s + a.accounts.length, 0), "one link per card sharing an attribute");

  // Flows among members equal the transfers among them in the sample world's transfers.csv.
  await page.waitForSelector(".mt-ring-section .mt-diagram[data-flows=done]");
  const flows = await page.$$eval("svg.mt-ring path.mt-ring-flow", (ps) => ps.map((p) => [`${p.dataset.src}>${p.dataset.dst}`, p.dataset.amount]));
  const ids = new Set(ring.members.map((m) => m.account));
  const want = new Map();
  for (const x of truth.transfers) {
    if (ids.has(x.src) && ids.has(x.dst) && x.src !== x.dst) want.set(`${x.src}>${x.dst}`, (want.get(`${x.src}>${x.dst}`) || 0) + fen(x.amount));
  }
  assert.deepEqual(new Map(flows.map(([k, v]) => [k, fen(v)])), want, "flows among members");
  assert.ok(rec.requests.some((u) => u.endsWith(`/v1/rings/${ring.ring_id}`)), "the ring is asked for by id");
  assert.deepEqual(rec.requests.filter((u) => u.includes("/v1/accounts/")), [], "the flows come with the ring, not from the members' statements");
  await shot(page, "ring");

  // Deep links: by number and from an account.
  await open(page, "#/rings/1", "svg.mt-ring g.mt-ring-member");
  assert.ok((await page.textContent("h1")).includes(rings.find((r) => Number(r.ring_id.replace(/\D/g, "")) === 1).ring_id));
  // Clicking a member opens its panel.
  await page.click(`svg.mt-ring g.mt-ring-member[data-account="${ring.members[0].account}"]`);
  await page.waitForSelector(`.mt-panel[data-account="${ring.members[0].account}"] .mt-acct-attrs`);
});

test("a ring found only around an account (A…) is shown in its panel and drawn by the around route", async (page, rec) => {
  // An account outside the ranked rings that shares a device, phone or holder with their cards.
  const { rings } = await api("/v1/rings");
  const inRings = new Set(rings.flatMap((r) => r.members.map((m) => m.account)));
  const ringCards = [...inRings].map((a) => truth.accounts.get(a)).filter(Boolean);
  const shares = (a) => ringCards.some((c) => (a.device_id && a.device_id === c.device_id) || (a.phone && a.phone === c.phone) || a.holder_id === c.holder_id);
  let account;
  let ring;
  for (const a of truth.accounts.values()) {
    if (inRings.has(a.account_id) || !shares(a)) continue;
    const found = (await api(`/v1/rings/around/${a.account_id}`)).rings[0];
    if (found && !(ring?.members.length >= found.members.length)) [account, ring] = [a.account_id, found]; // the largest
  }
  assert.ok(account, "the sample world has an account whose ring is found only around it");
  assert.match(ring.ring_id, /^A\d+$/);
  assert.ok(!rings.some((r) => r.ring_id === ring.ring_id), "an A id is not in the ranked list");

  await signIn(page, ANALYST);
  await open(page, `#/account/${account}`, `.mt-ring-line[data-ring="${ring.ring_id}"]`);
  const line = `.mt-ring-line[data-ring="${ring.ring_id}"]`;
  assert.equal(await page.getAttribute(`${line} a`, "href"), `#/rings/around/${account}`);
  // Shown inline: the other members, with their roles.
  const others = await page.$$eval(`${line} .mt-ring-others li`, (lis) => lis.map((li) => li.dataset.account));
  assert.deepEqual(others, ring.members.map((m) => m.account).filter((a) => a !== account));

  await page.click(`${line} a`);
  await page.waitForSelector(".mt-ring-section .mt-diagram[data-flows=done]");
  assert.equal(await page.textContent("h1"), `团伙 ${ring.ring_id}`);
  assert.ok((await page.textContent(".mt-anchored")).includes(account));
  const members = await page.$$eval("svg.mt-ring g.mt-ring-member", (gs) => gs.map((g) => [g.dataset.account, g.dataset.role]));
  assert.deepEqual(new Map(members), new Map(ring.members.map((m) => [m.account, m.role])), "members and roles");
  // Its flows come with the ring from the API (not from the members' statements): they equal the sample
  // world's transfers among them.
  assert.deepEqual(rec.requests.filter((u) => u.includes("/v1/accounts/") && !u.includes(account)), [], "no member statements fetched");
  const ids = new Set(ring.members.map((m) => m.account));
  const want = new Map();
  for (const x of truth.transfers) {
    if (ids.has(x.src) && ids.has(x.dst) && x.src !== x.dst) want.set(`${x.src}>${x.dst}`, (want.get(`${x.src}>${x.dst}`) || 0) + fen(x.amount));
  }
  assert.ok(want.size > 0, "the ring's members paid each other");
  const flows = await page.$$eval("svg.mt-ring path.mt-ring-flow", (ps) => ps.map((p) => [`${p.dataset.src}>${p.dataset.dst}`, p.dataset.amount]));
  assert.deepEqual(new Map(flows.map(([k, v]) => [k, fen(v)])), want, "flows among members");
  await shot(page, "ring-anchored");
});

test("in Chinese, the server's evidence, patterns, reasons and notes read in Chinese; in English as written", async (page) => {
  // Every server sentence on these pages must match a pattern of MT_EVIDENCE_ZH: a changed sentence in the
  // Rust code shows here as [data-untranslated] (and as English words left in the Chinese page).
  await api("/v1/warnings/scan", { token: OPERATOR, method: "POST", body: { since: "2026-01-01T00:00:00+08:00" } });
  const sentences = (sel) => page.$$eval(sel, (els) => els.map((e) => ({ text: e.textContent, untranslated: e.hasAttribute("data-untranslated") })));
  const english = /[a-z]{4,}/;
  await signIn(page, ANALYST);
  const ring = (await api("/v1/rings?limit=1")).rings[0];
  const checks = [
    ["#/rings/R0001", ".mt-evidence li, .mt-patterns li", ring.members.flatMap((m) => m.evidence).concat(ring.patterns)],
    ["#/warnings", "tr.mt-warning .mt-evidence li", null],
    [`#/case/${CASE}?rule=poison`, ".mt-notes li", null],
  ];
  for (const [hash, sel, fromApi] of checks) {
    await open(page, hash);
    await page.waitForSelector(sel, { state: "attached" }); // notes sit in a closed <details>
    const shown = await sentences(sel);
    assert.ok(shown.length > 0, `${hash}: sentences shown`);
    for (const x of shown) {
      assert.ok(!x.untranslated && !english.test(x.text), `${hash}: untranslated server sentence: ${x.text}`);
    }
    if (fromApi) assert.equal(shown.length, fromApi.length, `${hash}: one line per sentence of the API`);
  }
  await page.click("#mt-lang");
  await open(page, "#/rings/R0001", ".mt-patterns li");
  const en = (await sentences(".mt-patterns li")).map((x) => x.text);
  assert.deepEqual(en, ring.patterns, "in English, the server's own words");
});

test("串并: groups, links and shared sinks equal the API's, in Chinese; a case page shows its own links", async (page) => {
  const r = await api("/v1/links");
  assert.ok(r.groups.length > 0 && r.links.length > 0, "the sample world's cases link; otherwise the test tests nothing");
  await signIn(page, ANALYST);
  await open(page, "#/links", "tr.mt-group-row");
  await shot(page, "links");
  const groups = await page.$$eval("tr.mt-group-row", (rows) => rows.map((r) => ({ id: r.dataset.group, cases: r.querySelector('td[data-col="cases"]').dataset.value })));
  assert.deepEqual(groups, r.groups.map((g) => ({ id: g.group_id, cases: g.cases.join(",") })), "groups and their cases");
  const defining = await page.$eval("tr.mt-group-row td[data-col=defining]", (td) => td.dataset.value);
  assert.equal(defining, r.groups[0].defining_accounts.map((d) => d.account).join(","), "the accounts that define the first group");
  const links = await page.$$eval("tr.mt-link-row", (rows) => rows.map((x) => [x.dataset.a, x.dataset.b]));
  assert.deepEqual(links, r.links.slice(0, 200).map((l) => [l.case_a, l.case_b]), "links, strongest first");
  const english = /[a-z]{4,}/;
  for (const x of await page.$$eval(".mt-links .mt-evidence li", (els) => els.map((e) => ({ text: e.textContent, untranslated: e.hasAttribute("data-untranslated") })))) {
    assert.ok(!x.untranslated && !english.test(x.text), `untranslated evidence: ${x.text}`);
  }
  // A case page: its links only, each naming this case.
  const id = r.groups[0].cases[0];
  const mine = await api(`/v1/cases/${id}/links`);
  await open(page, `#/case/${id}`, ".mt-case-links tr.mt-link-row");
  const pairs = await page.$$eval(".mt-case-links tr.mt-link-row", (rows) => rows.map((x) => [x.dataset.a, x.dataset.b]));
  assert.deepEqual(pairs, mine.links.map((l) => [l.case_a, l.case_b]));
  assert.ok(pairs.every(([a, b]) => a === id || b === id), "only this case's links");
});

test("an ad hoc trace is registered as a case by an operator (not an analyst), with the as-of shown as report time", async (page, rec) => {
  await signIn(page, ANALYST);
  await open(page, "#/trace?seeds=T00012845", ".mt-totals [data-key=as_of]");
  await page.click(".mt-register-box summary");
  assert.ok(await page.$eval(".mt-register-btn", (b) => b.disabled), "disabled for an analyst");
  assert.ok((await page.textContent(".mt-register .mt-role-note")).length > 0, "with the reason");

  await switchUser(page, OPERATOR, "operator");
  await open(page, "#/trace?seeds=T00012845", ".mt-totals [data-key=as_of]");
  const asOf = await page.$eval(".mt-totals [data-key=as_of]", (d) => d.dataset.value);
  await page.click(".mt-register-box summary");
  await page.fill(".mt-register input[name=case_id]", "CASE-WEB-1");
  await page.fill(".mt-register input[name=note]", "来自页面的临时追踪");
  await page.click(".mt-register-btn");
  await page.waitForFunction(() => location.hash === "#/case/CASE-WEB-1");
  await page.waitForSelector("svg.mt-flow g.mt-account");
  const c = await api("/v1/cases/CASE-WEB-1");
  assert.deepEqual(c.seed_txn_ids, ["T00012845"]);
  assert.equal(Date.parse(c.report_time), Date.parse(asOf), "report time = the as-of the trace was shown at");
  assert.equal(c.note, "来自页面的临时追踪");
  assert.equal(c.created_by, "demo operator");
  // Registering the same id again is refused with the server's message, shown in the form.
  rec.expect.add(409);
  await open(page, "#/trace?seeds=T00012845", ".mt-totals [data-key=as_of]");
  await page.click(".mt-register-box summary");
  await page.fill(".mt-register input[name=case_id]", "CASE-WEB-1");
  await page.click(".mt-register-btn");
  const refused = await page.waitForSelector(".mt-register .mt-form-msg [role=alert]");
  assert.equal(await refused.getAttribute("data-status"), "409");
});

test("warnings: scan, board with grades equal to the API's, live countdowns, acknowledge", async (page, rec) => {
  await signIn(page, OPERATOR);
  await open(page, "#/warnings", ".mt-warnings");
  // Scan the whole sample world (the since field is filled with the store's first transfer).
  await page.waitForFunction(() => document.querySelector(".mt-scan input[name=since]").value !== "");
  await page.click(".mt-scan-btn");
  await page.waitForSelector(".mt-scan .mt-ok");
  await page.waitForSelector("tr.mt-warning");
  const ws = await api("/v1/warnings");
  assert.ok(ws.length > 0, "the sample world's victims raise warnings");
  const rows = await page.$$eval("tr.mt-warning", (trs) => trs.map((tr) => [tr.dataset.id, tr.dataset.grade]));
  assert.deepEqual(rows, ws.map((w) => [String(w.id), w.grade]), "rows and grades as the API lists them");
  for (const g of ["purple", "red", "yellow", "blue"]) {
    const shown = await page.$eval(`.mt-grade-count[data-grade=${g}]`, (el) => Number(el.dataset.count));
    assert.equal(shown, ws.filter((w) => w.grade === g).length, `count of ${g}`);
  }
  assert.equal(await page.textContent(".mt-grade-count[data-grade=purple]").then((s) => s.startsWith("紫")), true);

  // The countdown is the time to the API's deadline, and it goes down by itself.
  const first = await page.$eval("tr.mt-warning .mt-deadline", (el) => [Number(el.dataset.seconds), el.textContent]);
  const expected = (Date.parse(ws[0].deadline) - Date.now()) / 1000;
  assert.ok(Math.abs(first[0] - expected) <= 5, `countdown ${first[0]} s vs deadline ${expected} s`);
  assert.match(first[1], /^(剩余|已超时) \d+:\d\d:\d\d$/);
  // The next escalation is counted down to the API's next_escalation_at.
  const readNext = () => page.$$eval("tr.mt-warning", (trs) => trs.map((tr) => Number(tr.querySelector(".mt-next-escalation")?.dataset.seconds ?? NaN)));
  const next = await readNext();
  ws.forEach((w, i) => {
    assert.ok(w.next_escalation_at, `warning ${w.id} escalates next`);
    const expected = (Date.parse(w.next_escalation_at) - Date.now()) / 1000;
    assert.ok(Math.abs(next[i] - expected) <= 5, `warning ${w.id}: next escalation in ${next[i]} s vs next_escalation_at in ${expected} s`);
  });
  assert.match(await page.textContent("tr.mt-warning .mt-next-escalation"), /^下次升级 \d+:\d\d:\d\d$/);
  await page.waitForTimeout(2200);
  const later = await page.$eval("tr.mt-warning .mt-deadline", (el) => [Number(el.dataset.seconds), el.textContent]);
  assert.ok(later[0] <= first[0] - 1 && later[0] >= first[0] - 4, `countdown went ${first[0]} → ${later[0]}`);
  assert.notEqual(later[1], first[1]);
  const nextLater = (await readNext())[0];
  assert.ok(nextLater <= next[0] - 1 && nextLater >= next[0] - 4, `next escalation went ${next[0]} → ${nextLater}`);
  await shot(page, "warnings");

  // Acknowledge the first: it is marked, and the API has it acknowledged by this operator.
  const id = rows[0][0];
  await page.click(`tr.mt-warning[data-id="${id}"] .mt-ack`);
  await page.waitForSelector(`tr.mt-warning[data-id="${id}"].is-acked .mt-acked`);
  const all = await api("/v1/warnings?status=all");
  const acked = all.find((w) => String(w.id) === id);
  assert.ok(acked.acknowledged_at, "acknowledged in the API");
  assert.equal(acked.acknowledged_by, "demo operator");
  assert.equal(acked.next_escalation_at, null, "it escalates no more");
  assert.equal(await page.$(`tr.mt-warning[data-id="${id}"] .mt-next-escalation`), null, "nor does its countdown");
  // The open board no longer lists it.
  await page.reload();
  await page.waitForSelector("tr.mt-warning");
  assert.ok(!(await page.$$eval("tr.mt-warning", (trs) => trs.map((tr) => tr.dataset.id))).includes(id));
});

test("warnings: when the countdown to the next escalation runs out, the level goes up without a refresh", async (page) => {
  const since = (await api("/v1/stats")).first_transfer_at;
  await api("/v1/warnings/scan", { token: OPERATOR, method: "POST", body: { since } });
  // The page's clock, under the test's control: an hour passes in a moment.
  await page.clock.install();
  await signIn(page, ANALYST);
  await open(page, "#/warnings", "tr.mt-warning .mt-next-escalation[data-seconds]");
  const rows = () =>
    page.$$eval("tr.mt-warning", (trs) =>
      trs.map((tr) => ({
        id: tr.dataset.id,
        level: Number(tr.querySelector(".mt-escalation").dataset.level),
        next: tr.querySelector(".mt-next-escalation") ? Number(tr.querySelector(".mt-next-escalation").dataset.seconds) : null,
      })),
    );
  /** The board as the API computes it at the page's time (`at`), in the board's order. */
  const expected = async () => {
    const at = await page.evaluate(() => Date.now());
    const ws = await api(`/v1/warnings?at=${encodeURIComponent(new Date(at).toISOString())}`);
    return ws.map((w) => ({ id: String(w.id), level: w.escalation, next: w.next_escalation_at ? (Date.parse(w.next_escalation_at) - at) / 1000 : null }));
  };
  const check = async (level) => {
    const [got, want] = [await rows(), await expected()];
    assert.deepEqual(got.map((r) => [r.id, r.level]), want.map((w) => [w.id, w.level]), `levels as the API computes them at the page's time`);
    assert.ok(got.some((r) => r.level === level), `a warning at level ${level}`);
    got.forEach((r, i) => {
      if (want[i].next == null) assert.equal(r.next, null, `warning ${r.id}: no next escalation`);
      else assert.ok(Math.abs(r.next - want[i].next) <= 2, `warning ${r.id}: next escalation in ${r.next} s, API ${want[i].next} s`);
    });
  };
  const first = (await rows())[0];
  await check(first.level);
  assert.ok(first.level < 3 && first.next > 0, `warning ${first.id} escalates in ${first.next} s`);
  // Run the clock to just past the next escalation, then an hour at a time, up to level 3.
  let wait = (first.next + 2) * 1000;
  for (let level = first.level + 1; level <= 3; level++) {
    await page.clock.fastForward(wait);
    await page.waitForSelector(`tr.mt-warning[data-id="${first.id}"] .mt-escalation[data-level="${level}"]`);
    await check(level);
    const next = (await rows())[0].next;
    if (level < 3) assert.ok(next > 3590 && next <= 3600, `the next countdown starts from the following hour: ${next} s`);
    else assert.equal(next, null, "at level 3 there is no next escalation");
    wait = 3600 * 1000;
  }
  assert.match(await page.textContent(`tr.mt-warning[data-id="${first.id}"] .mt-escalation`), /^3\/3 级$/);
});

test("warnings: the board shows a warning the moment its upload lands, from the stream, without a reload", async (page) => {
  await signIn(page, OPERATOR);
  await open(page, "#/warnings", ".mt-warnings");
  await page.waitForSelector(".mt-live.is-live");
  const upload = async (csv) => {
    const resp = await fetch(`${BASE}/v1/ingest/transfers`, {
      method: "POST",
      headers: { Authorization: `Bearer ${OPERATOR}`, "Content-Type": "text/csv" },
      body: csv,
    });
    const text = await resp.text();
    assert.equal(resp.status, 200, text);
    return JSON.parse(text);
  };
  // A card that took a victim's money, stopped an hour later; then another person pays it.
  await upload("txn_id,ts,src,dst,amount\nLIVE-B0,2026-03-01 10:00:00,LIVE-VICTIM-1,LIVE-CARD,30000\n");
  await api("/v1/stops", { token: OPERATOR, method: "POST", body: { account: "LIVE-CARD", amount: "30000", placed_at: "2026-03-01T11:00:00+08:00", basis_txn: "LIVE-B0" } });
  // A mark on the page: a reload would lose it.
  await page.evaluate(() => (window.__beforeUpload = true));
  const sum = await upload("txn_id,ts,src,dst,amount\nLIVE-B1,2026-03-01 12:00:00,LIVE-VICTIM-2,LIVE-CARD,9000\n");
  assert.equal(sum.warnings_raised, 1, JSON.stringify(sum));
  const w = (await api("/v1/warnings")).find((x) => x.txn_id === "LIVE-B1");
  assert.ok(w, "the API lists the new warning");
  // No reload, no click: the stream's event redraws the board.
  await page.waitForSelector(`tr.mt-warning[data-id="${w.id}"]`);
  assert.equal(await page.$eval(`tr.mt-warning[data-id="${w.id}"]`, (tr) => tr.dataset.grade), w.grade);
  assert.equal(await page.evaluate(() => window.__beforeUpload), true, "the page was not reloaded");
});

test("an analyst sees scan and acknowledge disabled, with why; the API refuses an analyst's scan (403)", async (page) => {
  // Open warnings to show (the scan is the operator's; scanning again adds nothing twice).
  const since = (await api("/v1/stats")).first_transfer_at;
  await api("/v1/warnings/scan", { token: OPERATOR, method: "POST", body: { since } });
  await signIn(page, ANALYST);
  await open(page, "#/warnings", "tr.mt-warning");
  assert.equal(await page.$eval(".mt-scan-btn", (b) => b.disabled), true, "scan disabled");
  assert.match(await page.getAttribute(".mt-scan-btn", "title"), /操作员/);
  const acks = await page.$$eval("tr.mt-warning .mt-ack", (bs) => bs.map((b) => b.disabled));
  assert.ok(acks.length > 0 && acks.every(Boolean), "acknowledge disabled on every open warning");
  assert.match(await page.textContent(".mt-role-note"), /扫描和确认预警需要操作员角色/);

  const resp = await fetch(`${BASE}/v1/warnings/scan`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ANALYST}`, "Content-Type": "application/json" },
    body: JSON.stringify({ since }),
  });
  assert.equal(resp.status, 403);
  assert.match((await resp.json()).error.message, /operator/);
});

test("statements: an operator uploads the banks' files (CSV and a legacy .xls); the summary and the balance check equal the API's", async (page) => {
  // Two accounts' statements: A pays B 400; both banks recorded it (4 s apart), so it is one transfer.
  const a = "查询账号：6298000000000001 户名：张三\n交易时间,交易金额,借贷标志,余额,对手账号,对手户名\n" +
    "2026-02-01 10:00:00,500.00,贷,1500.00,6298000000000009,李四\n2026-02-01 10:05:00,400.00,借,1100.00,6298000000000002,王五\n";
  const b = "查询账号：6298000000000002\n交易时间,交易金额,收付标志,余额,对方账号\n2026-02-01 10:05:04,400.00,收,400.00,6298000000000001\n" +
    "2026-02-01 11:00:00,x0.00,付,100.00,6298000000000003\n2026-02-01 12:00:00,50.00,付,50.00,6298000000000004\n";
  const utf8 = new TextEncoder(); // GB18030 and the other layouts are covered by the Rust tests
  await signIn(page, OPERATOR);
  await open(page, "#/statements", ".mt-stmt-form");
  const xls = fs.readFileSync(path.join(ROOT, "tests/fixtures/statements/psbc-legacy.xls"));
  await page.setInputFiles(".mt-stmt-form input[type=file]", [
    { name: "a.csv", mimeType: "text/csv", buffer: Buffer.from(utf8.encode(a)) },
    { name: "b.csv", mimeType: "text/csv", buffer: Buffer.from(utf8.encode(b)) },
    { name: "psbc-legacy.xls", mimeType: "application/vnd.ms-excel", buffer: xls },
  ]);
  await page.click(".mt-stmt-submit");
  await page.waitForSelector(".mt-stmt-totals dd[data-key]");
  const shown = await page.$$eval(".mt-stmt-totals dd[data-key]", (dds) => Object.fromEntries(dds.map((d) => [d.dataset.key, Number(d.dataset.value)])));
  assert.equal(shown.transfers_added, 2 + 1 + 3, "a.csv's two, b.csv's last, the xls's three (b.csv's first is a.csv's payment)");
  assert.equal(shown.mirrored_pairs, 1, "A→B 400 seen by both banks is one transfer");
  assert.equal(shown.lines_rejected, 1);
  const files = await page.$$eval(".mt-stmt-files tr[data-file]", (trs) => trs.map((tr) => tr.dataset.file));
  assert.deepEqual(files, ["a.csv", "b.csv", "psbc-legacy.xls"]);
  assert.match(await page.textContent(".mt-stmt-rejects-table"), /amount/);
  // The check table is the API's, account for account, with its breaks.
  await page.waitForSelector("tr.mt-stmt-account");
  const check = await api("/v1/statements/check");
  const rows = await page.$$eval("tr.mt-stmt-account", (trs) => trs.map((tr) => [tr.dataset.account, Number(tr.dataset.breaks)]));
  assert.deepEqual(rows, check.accounts.map((x) => [x.account, x.breaks.length]));
  const bRow = check.accounts.find((x) => x.account === "6298000000000002");
  assert.equal(bRow.breaks.length, 1, "b.csv's rejected line leaves a gap in its balances");
  assert.match(await page.textContent('tr.mt-stmt-account[data-account="6298000000000002"]'), /差额/);
  // Uploading the same files again adds nothing.
  await page.click(".mt-stmt-submit");
  await page.waitForFunction(() => document.querySelector('.mt-stmt-totals dd[data-key="transfers_added"]')?.dataset.value === "0");
  await shot(page, "statements");
});

test("statements: an analyst sees the check, and the import disabled with why", async (page) => {
  await signIn(page, ANALYST);
  await open(page, "#/statements", ".mt-stmt-form");
  assert.equal(await page.$eval(".mt-stmt-submit", (b) => b.disabled), true);
  assert.match(await page.textContent(".mt-role-note"), /导入流水需要操作员角色/);
});

test("API errors show the server's message and field: 400 for malformed input", async (page, rec) => {
  rec.expect.add(400);
  await signIn(page, ANALYST);
  await open(page, `#/case/${CASE}?as_of=yesterday`);
  await page.waitForSelector(".mt-summary .mt-error-inline");
  const text = await page.textContent(".mt-summary .mt-error-inline");
  assert.match(text, /^请求有误（400）/);
  assert.match(text, /字段：as_of/, "the field at fault is named");
  assert.match(text, /unrecognised time format/, "the server's message is shown");
  assert.equal(await page.getAttribute(".mt-controls input[name=as_of]", "aria-invalid"), "true", "and its input is marked");
  assert.equal(await page.getAttribute(".mt-controls input[name=hops]", "aria-invalid"), null);
});

test("API errors show the server's message and field: 422 for a well-formed request it cannot act on", async (page, rec) => {
  rec.expect.add(422);
  await signIn(page, ANALYST);
  // An ad hoc trace from a transfer id that does not exist.
  const body = { seed_txn_ids: ["T99999999"] };
  const resp = await fetch(`${BASE}/v1/trace`, { method: "POST", headers: { Authorization: `Bearer ${ANALYST}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
  assert.equal(resp.status, 422);
  const { error } = await resp.json();
  assert.equal(error.code, "unprocessable");
  assert.equal(error.field, "seed_txn_ids");

  await open(page, "#/", ".mt-adhoc");
  await page.fill(".mt-adhoc textarea[name=seeds]", "T99999999");
  await page.click(".mt-adhoc button[type=submit]");
  await page.waitForSelector(".mt-summary .mt-error-inline");
  const text = await page.textContent(".mt-summary .mt-error-inline");
  assert.equal(text, `无法处理（422）：${error.message}（字段：seed_txn_ids）`);
  await page.waitForSelector(".mt-freeze .mt-error-inline[data-status='422']");
  await page.waitForSelector(".mt-flow-section .mt-error-inline[data-status='422']");
  assert.match(await page.textContent("#mt-error-text"), /422.*T99999999.*seed_txn_ids/, "the banner too");
  await page.click("#mt-lang");
  await page.waitForSelector(".mt-summary .mt-error-inline");
  assert.equal(await page.textContent(".mt-summary .mt-error-inline"), `Cannot act on this (422): ${error.message} (field: seed_txn_ids)`);
  await shot(page, "error-422");

  // A seed after as-of: the field is as_of, and its input is marked.
  const c = truth.cases.find((x) => x.case_id === CASE);
  await open(page, `#/trace?seeds=${c.seed_txn_ids.split(";")[0]}&as_of=${encodeURIComponent("2025-01-01 00:00:00")}`, ".mt-summary .mt-error-inline");
  assert.match(await page.textContent(".mt-summary .mt-error-inline"), /\(422\).*field: as_of/);
  assert.equal(await page.getAttribute(".mt-controls input[name=as_of]", "aria-invalid"), "true");
});

test("bank data is shown as text, never run as markup: account page, case diagram, ring, warnings board", async (page) => {
  // Hostile names and banks, uploaded through the API as a bank's files would bring them.
  const name = '<img src=x onerror="alert(1);window.__pwned=1">"><script>alert(2)</script>&amp;<b>';
  const bank = "<iframe src=http://evil.example/>";
  const csv = (header, ...rows) => [header, ...rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(","))].join("\n") + "\n";
  const upload = async (kind, body) => {
    const resp = await fetch(`${BASE}/v1/ingest/${kind}`, { method: "POST", headers: { Authorization: `Bearer ${OPERATOR}`, "Content-Type": "text/csv" }, body });
    assert.ok(resp.ok, `ingest ${kind}: ${resp.status} ${await resp.text()}`);
  };
  /** Nothing the names carry became an element, ran or loaded (requests out and dialogs fail every test). */
  const inert = async (where) => {
    assert.deepEqual(await page.$$eval("#mt-view img, #mt-view iframe, #mt-view b, #mt-view script, #mt-view foreignObject", (els) => els.map((e) => e.outerHTML)), [], `${where}: no element made from a name`);
    assert.equal(await page.evaluate(() => document.scripts.length), 2, `${where}: only the page's own scripts`);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, `${where}: nothing ran`);
  };

  // An account of its own, on its page.
  const lone = "6200000000000000666";
  await upload("accounts", csv("account_id,holder_id,holder_name,phone,device_id,bank,branch,opened_at,kind", [lone, "HX1", name, "", "", bank, "", "2026-01-01", "personal"]));
  await upload("transfers", csv("txn_id,ts,src,dst,amount", ["TXSS0001", "2026-01-05 10:00:00", lone, "6200000000000000669", "10.00"]));
  await signIn(page, ANALYST);
  await open(page, `#/account/${lone}`, ".mt-account-page .mt-acct-attrs");
  assert.ok((await page.textContent(".mt-acct-holder")).includes(name), "the name is shown literally");
  await inert("account page");

  // An account a registered case's trace reaches: it received money from a card of the trace after the
  // money arrived there and before the case was reported, so the server draws it in the diagram.
  const caseId = "CASE-00012";
  const before = await api(`/v1/cases/${caseId}/trace`);
  const from = before.accounts.filter((a) => a.hop < before.hops && !a.terminal && fen(a.held) > 0).sort((a, b) => fen(b.held) - fen(a.held))[0];
  const ts = Math.floor(Date.parse(from.last_arrival) / 1000) + 60;
  assert.ok(ts * 1000 < Date.parse(before.as_of), `${from.account} pays on before the report time`);
  const reached = "6200000000000000667";
  await upload("accounts", csv("account_id,holder_id,holder_name,phone,device_id,bank,branch,opened_at,kind", [reached, "HX2", name, "", "", bank, "", "2026-01-01", "personal"]));
  await upload("transfers", csv("txn_id,ts,src,dst,amount", ["TXSS0002", String(ts), from.account, reached, from.held]));
  const trace = await api(`/v1/cases/${caseId}/trace`);
  const entry = trace.accounts.find((a) => a.account === reached);
  assert.ok(entry && fen(entry.traced_in) > 0 && entry.holder_name === name, `the trace reaches ${reached}`);

  await open(page, `#/case/${caseId}`);
  const box = `svg.mt-flow g.mt-account[data-account="${reached}"]`;
  await page.waitForSelector(box);
  assert.ok((await page.textContent(`${box} title`)).includes(`${name} ${bank}`), "the diagram's tooltip has the name and bank as text");
  const texts = await page.$$eval(`${box} text`, (ts) => ts.map((t) => t.textContent));
  assert.ok(texts.some((t) => t.startsWith(name.slice(0, 20))), `the box shows the name as text: ${texts}`);
  assertDiagramMatches(await readDiagram(page), trace, `${caseId} with the hostile account`);
  await page.click(".mt-accounts-reached summary");
  assert.equal(await page.textContent(`.mt-accounts-reached tr[data-account="${reached}"] td[data-col=holder]`), name);
  assert.equal(await page.textContent(`.mt-accounts-reached tr[data-account="${reached}"] td[data-col=bank]`), bank);
  const proposal = (await readFreezeTable(page)).find((r) => r.account === reached);
  assert.equal(proposal?.cells.holder, name, "the freeze table has the name as text");
  await page.click(box);
  await page.waitForSelector(`.mt-panel[data-account="${reached}"] .mt-acct-attrs`);
  assert.ok((await page.textContent(".mt-panel .mt-acct-holder")).includes(name));
  await inert("case view");

  // A ring's card renamed, and a payment into it from a payer the bank names the same: the ring's page
  // and the warnings board.
  const { rings } = await api("/v1/rings");
  const card = rings[0].members[0].account;
  const payer = "6200000000000000668";
  await upload("accounts", csv("account_id,holder_name", [card, name]));
  // 888 yuan: a payer's first payment under 200 yuan waits for the next one (WARN_MIN_FIRST_PAYMENT_YUAN).
  await upload("transfers", csv("txn_id,ts,src,dst,amount,src_name", ["TXSS0003", "2026-01-20 12:00:00", payer, card, "888.00", name]));
  await api("/v1/warnings/scan", { token: OPERATOR, method: "POST", body: { since: "2026-01-20 00:00:00" } });
  const ring = (await api(`/v1/rings/around/${card}`)).rings[0];
  assert.equal(ring.members.find((m) => m.account === card).holder_name, name, "the ring has the new name");
  await open(page, `#/rings/${ring.ring_id}`, `svg.mt-ring g.mt-ring-member[data-account="${card}"]`);
  assert.ok((await page.textContent(`svg.mt-ring g.mt-ring-member[data-account="${card}"] title`)).includes(name));
  assert.ok((await page.textContent(`tr.mt-member-row[data-account="${card}"] td[data-col=holder]`)).startsWith(name));
  await inert("ring");
  const warning = (await api("/v1/warnings")).find((w) => w.payer === payer);
  assert.equal(warning?.payer_name, name, "the payment raised a warning");
  await open(page, "#/warnings", `tr.mt-warning[data-id="${warning.id}"]`);
  assert.equal(await page.textContent(`tr.mt-warning[data-id="${warning.id}"] td[data-col=payer] .mt-dim`), name);
  await inert("warnings board");
});

test("the diagram's sanitiser keeps the drawing and removes everything active or pointing out", async (page, rec) => {
  // Everything an SVG can carry that runs code, loads something or navigates, around a drawing to keep.
  const hostile = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:h="http://www.w3.org/1999/xhtml"
      viewBox="0 0 100 100" width="100" height="100" onload="window.__pwned='svg onload'">
    <script>window.__pwned='script'</script>
    <h:script>window.__pwned='xhtml script'</h:script>
    <style>@import url(http://evil.example/x.css); rect { fill: red }</style>
    <defs><marker id="m"><path d="M0,0L1,1"/></marker><path id="p" d="M0,0"/></defs>
    <foreignObject width="10" height="10"><h:img src="x" onerror="window.__pwned='img'"/><h:iframe src="http://evil.example/fo"/></foreignObject>
    <h:iframe src="http://evil.example/frame"/>
    <iframe src="http://evil.example/svg-ns"/>
    <a href="javascript:window.__pwned='link'"><text>click me</text></a>
    <a xlink:href="http://evil.example/"><rect width="5" height="5"/></a>
    <image href="http://evil.example/i.png" width="5" height="5"/>
    <use href="http://evil.example/sprite.svg#x"/>
    <use xlink:href="data:image/svg+xml,&lt;svg/&gt;#x"/>
    <use href="#p" class="inside"/>
    <animate attributeName="href" to="javascript:alert(1)"/>
    <set attributeName="onclick" to="alert(1)"/>
    <x:thing xmlns:x="urn:other"><x:inner/></x:thing>
    <g class="mt-account" data-account="A1" data-name="&lt;img src=x&gt; url(http://x)" onclick="window.__pwned='onclick'" ONMOUSEOVER="alert(1)" style="fill:url(http://evil.example/f)">
      <rect width="10" height="10" fill="url(http://evil.example/p.svg#g)" stroke="\\75rl(http://evil.example/s)" filter="url(#m)"/>
      <path class="mt-edge" d="M0,0L5,5" marker-end="url(#m)" mask="url( 'http://evil.example/m.svg#m')"/>
      <text x="1" y="2">&lt;img src=x onerror=alert(1)&gt; 陈磊</text>
      <title>tip</title>
    </g>
  </svg>`;
  await page.goto(`${BASE}/viz/?test`);
  await page.waitForFunction(() => window.__mt_test);
  const out = await page.evaluate((text) => {
    const el = window.__mt_test.importFlowSvg(text);
    document.body.append(el); // in the live page: nothing may run or load
    const all = [el, ...el.querySelectorAll("*")];
    return {
      elements: all.map((e) => `${e.namespaceURI === "http://www.w3.org/2000/svg" ? "" : "!"}${e.localName}`),
      attributes: all.flatMap((e) => [...e.attributes].map((a) => `${e.localName}@${a.name}=${a.value}`)),
      text: el.querySelector("text")?.textContent,
    };
  }, hostile);
  assert.deepEqual(out.elements, ["svg", "defs", "marker", "path", "path", "use", "g", "rect", "path", "text", "title"], "only the drawing is left");
  assert.deepEqual(
    out.attributes.sort(),
    [
      "svg@xmlns=http://www.w3.org/2000/svg",
      "svg@xmlns:xlink=http://www.w3.org/1999/xlink",
      "svg@xmlns:h=http://www.w3.org/1999/xhtml",
      "svg@viewBox=0 0 100 100",
      "svg@class=mt-zoomable",
      "marker@id=m",
      "path@d=M0,0L1,1",
      "path@id=p",
      "path@d=M0,0",
      "use@href=#p",
      "use@class=inside",
      "g@class=mt-account",
      "g@data-account=A1",
      "g@data-name=<img src=x> url(http://x)",
      "rect@width=10",
      "rect@height=10",
      "rect@filter=url(#m)",
      "path@class=mt-edge",
      "path@d=M0,0L5,5",
      "path@marker-end=url(#m)",
      "text@x=1",
      "text@y=2",
    ].sort(),
    "no handlers, no style, no reference out of the document; data and references inside kept",
  );
  assert.equal(out.text, "<img src=x onerror=alert(1)> 陈磊", "text stays text");
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "nothing ran");
  assert.deepEqual(rec.outside, [], "nothing loaded from elsewhere");
  // What is not an SVG document is refused, not imported.
  for (const bad of ["<svg xmlns='http://www.w3.org/2000/svg'><g></svg>", "<html xmlns='http://www.w3.org/1999/xhtml'/>", "<svg/>"]) {
    const code = await page.evaluate((text) => {
      try {
        window.__mt_test.importFlowSvg(text);
        return "imported";
      } catch (e) {
        return e.code;
      }
    }, bad);
    assert.equal(code, "bad_svg", bad);
  }
  // Parsing already meets the page's CSP, which blocks inline handlers and style (the hostile ones, and
  // those of Chromium's own parse-error element) and says so in the console: the second line of defence
  // at work, not an error of the page.
  const blocked = /violates the following Content Security Policy directive '(script|style)-src 'self''.*The action has been blocked/;
  assert.ok(rec.console.every((m) => blocked.test(m)), `console: ${rec.console}`);
  rec.console.length = 0;
  // The hook is there for tests only.
  await page.goto(`${BASE}/viz/`);
  await page.waitForSelector(".mt-signin-first");
  assert.equal(await page.evaluate(() => window.__mt_test), undefined);
});

await run();
