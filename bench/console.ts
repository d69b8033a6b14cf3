/**
 * First load of the console's pages (issue 13): the partner board and the coordinator dashboard
 * on the embedded demo city, from this machine. Starts the built server (`node dist/src/index.js`)
 * in embedded mode on a data folder of its own (it loads the demo dataset, about 40 s), then for
 * each page opens it N times in Debian's Chromium, each time in a fresh browser context (empty
 * cache), already signed in (the session is put in session storage before the page's scripts
 * run), and times from navigation start to the frame that paints the page's data (the page notes
 * it with requestAnimationFrame when the data's selectors first match; waitForSelector alone only
 * says when the page was next free to answer, which while ECharts' chunk runs is 300 ms later). The dashboard is timed three
 * ways: its first screen's figures (the top-up, asked for after them, may still say 计算中…), the
 * first screen whole, and the page down to its last chart and list. Prints a table and writes
 * bench/results/console-<date>.json and .md.
 *
 *   npm run bench:console            (5 loads per page)
 *   npm run build && node dist/bench/console.js [loads=5]
 *   BENCH_TIMELINE=1 node dist/bench/console.js 1   (each load's requests and when each part showed)
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { projectRoot } from "../src/common/paths";

const LOADS = Number(process.argv[2] ?? 5);
/** BENCH_TIMELINE=1 prints each load's requests and when each part of the page showed. */
const TIMELINE = process.env.BENCH_TIMELINE === "1";
const WARM_UP_LOADS = 3;
const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((file) => file && fs.existsSync(file));

interface PageScenario {
  id: string;
  name: string;
  username: string;
  password: string;
  route: string;
  /** Selectors that are all present once the page shows its data (the content policy forbids evaluating code). */
  ready: string[];
}

const PAGES: PageScenario[] = [
  {
    id: "board",
    name: "partner board (wenling-partner), open needs shown",
    username: "wenling-partner",
    password: "zhulian-demo-partner",
    route: "/#/board",
    ready: ['[data-test="need"]'],
  },
  {
    id: "dashboard-figures",
    name: "dashboard of 温岭市 (wenling-coordinator), default period: the first screen's figures shown, the top-up still 计算中",
    username: "wenling-coordinator",
    password: "zhulian-demo-wenling",
    route: "/#/dashboard",
    ready: ['[data-test="dashboard"][data-state="ready"] [data-test="figure-lowIncomePopulation.total"]'],
  },
  {
    id: "dashboard",
    name: "the same, the first screen whole: the top-up figures in too",
    username: "wenling-coordinator",
    password: "zhulian-demo-wenling",
    route: "/#/dashboard",
    ready: ['[data-test="dashboard"][data-state="ready"] [data-test="figure-averageTopUp"][data-state="ready"]'],
  },
  {
    id: "dashboard-all",
    name: "the same, down to the last part: all six charts drawn and the households due listed",
    username: "wenling-coordinator",
    password: "zhulian-demo-wenling",
    route: "/#/dashboard",
    ready: [
      '[data-test="dashboard"][data-state="ready"] [data-test="figure-averageTopUp"][data-state="ready"]',
      ...["fundingBySource", "servedByMonth", "populationByCategory", "populationByMonth", "projectFunding", "grants"].map((chart) => `[data-test="chart-${chart}"] canvas`),
      '[data-test="due-for-visit"][data-state="ready"]',
    ],
  },
];

async function startServer(dataDir: string): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn(process.execPath, [path.join(projectRoot, "dist", "src", "index.js")], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start within 300 s")), 300_000);
    const look = (chunk: Buffer) => {
      const match = /ready at (http:\/\/[^/\s]+)\//.exec(chunk.toString());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on("data", look);
    // With the timeline, the server's own time for each GraphQL request, from its request log.
    if (TIMELINE) {
      child.stdout!.on("data", (chunk: Buffer) => {
        for (const line of chunk.toString().split("\n")) {
          const logged = /"path":"\/graphql".*"ms":([\d.]+)(?:.*"operationName":"(\w+)")?/.exec(line);
          if (logged) process.stdout.write(`        server: ${logged[2] ?? "POST /graphql"} ${Math.round(Number(logged[1]))} ms\n`);
        }
      });
    }
    child.stderr!.on("data", look);
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before it was ready`)));
  });
  return { child, origin };
}

async function signIn(origin: string, username: string, password: string): Promise<{ token: string; account: unknown }> {
  const response = await fetch(`${origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token account { id username role alliance { id name level } organization { id name kind } } } }`,
      variables: { u: username, p: password },
    }),
  });
  const body = (await response.json()) as { data: { login: { token: string; account: unknown } } };
  return body.data.login;
}

interface Load {
  /** Navigation start to the frame that painted the last ready selector. */
  ms: number;
  /** Navigation to waitForSelector's answer for the last selector (what earlier runs reported). */
  answeredMs: number;
  requests: number;
  transferredKb: number;
}

async function loadOnce(browser: Browser, origin: string, scenario: PageScenario, stored: string): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "zh-CN" });
  await context.addInitScript(`sessionStorage.setItem("zhulian.session", ${JSON.stringify(stored)})`);
  // When each ready selector first matches, the page notes the start of the frame that paints it
  // (a requestAnimationFrame callback, in ms from navigation start). Playwright's waitForSelector
  // alone says when the page next had time to answer, which can be long after that frame.
  await context.addInitScript(`(() => {
    const selectors = ${JSON.stringify(scenario.ready)};
    const painted = (window.__benchPainted = {});
    const check = () => {
      for (const selector of selectors) {
        if (selector in painted || !document.querySelector(selector)) continue;
        painted[selector] = null;
        requestAnimationFrame(() => (painted[selector] = performance.now()));
      }
    };
    new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  })()`);
  const page = await context.newPage();
  let requests = 0;
  let transferred = 0;
  page.on("requestfinished", async (request) => {
    requests += 1;
    const sizes = await request.sizes().catch(() => null);
    if (sizes) transferred += sizes.responseBodySize + sizes.responseHeadersSize;
  });
  const timeline: string[] = [];
  const at = () => String(Date.now() - started).padStart(5);
  if (TIMELINE) {
    page.on("request", (request) => timeline.push(`${at()} ms  →  ${request.method()} ${describe(request.url(), request.postData())}`));
    page.on("requestfinished", (request) => timeline.push(`${at()} ms  ←  ${describe(request.url(), request.postData())}`));
  }
  const started = Date.now();
  await page.goto(`${origin}${scenario.route}`);
  for (const selector of scenario.ready) {
    await page.waitForSelector(selector, { timeout: 60_000 });
    timeline.push(`${at()} ms  the page answered: ${selector}`);
  }
  const answeredMs = Date.now() - started;
  const painted = await paintTimes(page, scenario.ready);
  scenario.ready.forEach((selector, i) => timeline.push(`${String(Math.round(painted[i])).padStart(5)} ms  painted (from navigation start): ${selector}`));
  timeline.sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
  const ms = Math.round(Math.max(...painted));
  if (TIMELINE) process.stdout.write(`\n${scenario.id}, ${ms} ms:\n${timeline.join("\n")}\n`);
  await context.close();
  return { ms, answeredMs, requests, transferredKb: Math.round(transferred / 1024) };
}

/** When the frame that first painted each selector started, in ms from navigation start (see loadOnce). */
async function paintTimes(page: Page, selectors: string[]): Promise<number[]> {
  for (let tries = 0; ; tries += 1) {
    const painted = await page.evaluate(() => (globalThis as unknown as { __benchPainted: Record<string, number | null> }).__benchPainted);
    const times = selectors.map((selector) => painted[selector]);
    if (times.every((time): time is number => typeof time === "number")) return times;
    if (tries > 100) throw new Error("the page did not report when it painted");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A request as the timeline names it: the path, and a GraphQL operation's name. */
function describe(url: string, body: string | null): string {
  const operation = body ? /"query":"(?:query|mutation)\s+(\w+)/.exec(body)?.[1] : undefined;
  return `${new URL(url).pathname}${operation ? ` ${operation}` : ""}`;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  if (!CHROMIUM) throw new Error("No Chromium: apt-get install -y chromium (or set CHROMIUM_PATH)");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-bench-console-"));
  const startedAt = Date.now();
  // BENCH_ORIGIN=http://127.0.0.1:4000 measures a server already running on the demo city.
  const { child, origin } = process.env.BENCH_ORIGIN ? { child: null, origin: process.env.BENCH_ORIGIN } : await startServer(dataDir);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const results = [];
  try {
    for (const scenario of PAGES) {
      const stored = JSON.stringify(await signIn(origin, scenario.username, scenario.password));
      // Warm the server (its JIT, prepared statements), not the browser: a running server has
      // served such pages before; after one warm-up load the next few were still slower.
      for (let i = 0; i < WARM_UP_LOADS; i += 1) await loadOnce(browser, origin, scenario, stored);
      const loads: Load[] = [];
      for (let i = 0; i < LOADS; i += 1) loads.push(await loadOnce(browser, origin, scenario, stored));
      const times = loads.map((load) => load.ms);
      results.push({
        id: scenario.id,
        page: scenario.name,
        loads: LOADS,
        medianMs: median(times),
        maxMs: Math.max(...times),
        minMs: Math.min(...times),
        answeredMedianMs: median(loads.map((load) => load.answeredMs)),
        requests: loads[0].requests,
        transferredKb: loads[0].transferredKb,
      });
    }
  } finally {
    await browser.close();
    if (child) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const table = [
    "| page | loads | median ms (painted) | min ms | max ms | median ms (page answered) | requests | transferred KB |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.map((r) => `| ${r.page} | ${r.loads} | ${r.medianMs} | ${r.minMs} | ${r.maxMs} | ${r.answeredMedianMs} | ${r.requests} | ${r.transferredKb} |`),
  ].join("\n");
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const header =
    `# Console first load, embedded demo city (${new Date().toISOString()})\n\n` +
    `Server: ${process.env.BENCH_ORIGIN ? `already running at ${process.env.BENCH_ORIGIN}` : "started by the bench, embedded, on a data folder of its own"}. ` +
    `Fresh browser context per load (empty cache), signed in beforehand, after ${WARM_UP_LOADS} warm-up loads; from navigation start to the frame that paints the data; "page answered" is when Playwright's waitForSelector came back (what runs before 2026-12-01T13:50 reported), later while ECharts' chunk holds the page. ` +
    `Chromium ${browser.version()}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)}; the whole run took ${((Date.now() - startedAt) / 1000).toFixed(0)} s.\n\n`;
  const outDir = path.join(projectRoot, "bench", "results");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `console-${stamp}.json`), JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
  fs.writeFileSync(path.join(outDir, `console-${stamp}.md`), `${header}${table}\n`);
  console.log(`\n${header}${table}\n\nSaved bench/results/console-${stamp}.md`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
