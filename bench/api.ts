/**
 * The API against its raw-SQL limit (issue 10). Loads the demo dataset into a database of its own
 * on the configured PostgreSQL, starts the server in server mode (`node dist/src/index.js`) and
 * the raw-SQL server (bench/raw-sql-server.ts) as child processes, checks that both answer each
 * scenario with the same rows, counts the SQL statements of each request exactly, runs each
 * scenario with autocannon against both, interleaved, records a CPU profile of the server per
 * scenario, and drops the database. City stats at c=1 are also measured with the server in
 * embedded mode (PGlite in process; it seeds the demo dataset itself; no raw-SQL comparison).
 *
 *   npm run bench        (DATABASE_URL defaults to postgresql://postgres@127.0.0.1:5432/postgres)
 *   npm run build && node dist/bench/api.js [seconds=7] [rounds=3] [options]
 *   npm run bench:quick  (3 s × 1 round, no profiles: about 2 minutes)
 *
 * With the defaults the whole run takes about 8 minutes on the 2-core machine (it prints how
 * long it took); 10 s rounds (`npm run bench -- 10`) take about 9.5.
 *
 * Options:
 *   --seconds N          autocannon run length per round (same as the first positional argument)
 *   --rounds N           interleaved rounds per scenario, the median is reported (second positional)
 *   --only a,b,…         scenario ids to run: feed, partner, tree, projects, stats, stats-c1,
 *                        stats-embedded, stats-open, stats-open-c1, stats-open-embedded (default: all).
 *                        The demo city's H1 2025 is closed, so `stats*` answer its stored figures;
 *                        `stats-open*` ask 2025-01-01..09-30, which is computed.
 *   --no-profile         no CPU profiles
 *   --profile-seconds N  length of each profiled run (default 5)
 *   --count N            sequential requests over which statements are counted (default 20)
 *   e.g. node dist/bench/api.js --only feed,partner,tree,projects,stats --seconds 5 --rounds 1 --no-profile
 *
 * Two phases, with fresh children each:
 *  1. Counting: each child talks to PostgreSQL through its own statement counter
 *     (bench/lib/statement-counter.ts, a proxy in this process that reads the wire protocol and
 *     counts every Query and Execute message, with its SQL text). Statements per request = what
 *     the counter saw over N sequential requests / N, less what the server runs in the background
 *     (the event log poll is set to EVENT_POLL_INTERVAL=60000 ms, the most the setting allows;
 *     what is still counted while idle is reported, and subtracted by text).
 *  2. Measuring: the children connect to PostgreSQL directly (no proxy in the path); the server
 *     runs with --inspect. Per scenario: warm-up, the measured rounds with no debugger attached
 *     (server and raw interleaved), the peak RSS (VmHWM, reset before the rounds), then a
 *     profiled autocannon run: the bench attaches to the inspector, records a CPU profile, writes
 *     bench/results/profiles/<date>/<id>.cpuprofile and summarises it (top functions by self
 *     time, self time by package) as shares of the non-idle time.
 *
 * Prints a table and the profile summaries, and writes bench/results/api-<date>.json and .md.
 */
import "reflect-metadata";
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { DEMO_ACCOUNTS, DEMO_FIGURES, type DemoLandmarks } from "../prisma/seed";
import { projectRoot } from "../src/common/paths";
import { createScratchDatabase, type ScratchDatabase } from "../src/db/scratch-database";
import { recordCpuProfile, summarizeProfile, type ProfileSummary } from "./lib/cpu-profile";
import { loadDemoDatabase } from "./lib/demo-database";
import { startStatementCounter, type StatementCounter } from "./lib/statement-counter";

// ---------------------------------------------------------------------------------------------
// Options

const SCENARIO_IDS = ["feed", "partner", "tree", "projects", "stats", "stats-c1", "stats-embedded", "stats-open", "stats-open-c1", "stats-open-embedded"] as const;

/** A period that no close covers (the demo city is closed through 2025-06-30): its figures are computed. */
const OPEN_PERIOD = { from: "2025-01-01", to: "2025-09-30" } as const;
type ScenarioId = (typeof SCENARIO_IDS)[number];

interface Options {
  seconds: number;
  rounds: number;
  only: ScenarioId[];
  profile: boolean;
  profileSeconds: number;
  countedRequests: number;
}

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      seconds: { type: "string" },
      rounds: { type: "string" },
      only: { type: "string" },
      "no-profile": { type: "boolean" },
      "profile-seconds": { type: "string" },
      count: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${fs.readFileSync(path.join(projectRoot, "bench/api.ts"), "utf8").split("*/")[0]}*/\n`);
    process.exit(0);
  }
  const number = (name: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 1) throw new Error(`${name}: expected a number ≥ 1, got ${value}`);
    return n;
  };
  let only: ScenarioId[] = [...SCENARIO_IDS];
  if (values.only !== undefined) {
    const ids = values.only.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = ids.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id));
    if (unknown.length || ids.length === 0) throw new Error(`--only: unknown scenario ${unknown.join(", ") || "(none)"}; known: ${SCENARIO_IDS.join(", ")}`);
    only = ids as ScenarioId[];
  }
  return {
    seconds: number("--seconds", values.seconds ?? positionals[0], 7),
    rounds: Math.round(number("--rounds", values.rounds ?? positionals[1], 3)),
    only,
    profile: !values["no-profile"],
    profileSeconds: number("--profile-seconds", values["profile-seconds"], 5),
    countedRequests: Math.round(number("--count", values.count, 20)),
  };
}

// ---------------------------------------------------------------------------------------------
// Scenarios

const CONNECTIONS = 20;
const WARMUP_SECONDS = 1;
const IDLE_SECONDS = 3;
const JWT_SECRET = "bench-api-secret-bench-api-secret-bench-api";
const BASE_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
/** The event log poll of the server children: the most the setting allows (ms); no subscribers here. */
const EVENT_POLL_INTERVAL_MS = 60_000;
const STATEMENT_TEXT_CHARS = 300;

type Account = "demo-admin" | "wenling-partner";

interface Scenario {
  id: ScenarioId;
  name: string;
  mode: "server" | "embedded";
  connections: number;
  account: Account;
  query: string;
  variables?: Record<string, unknown>;
  /** The raw-SQL server's path; none in embedded mode. */
  rawPath?: string;
  /** Scenarios with the same key send the same request: statements are counted once for them. */
  countKey: string;
}

const FEED = `query Feed($first: Int!) { serviceRequests(first: $first, filter: { status: [OPEN] }) {
  nodes { id title category urgency createdAt alliance { name } household { headName } } } }`;
const TREE = `query Tree { allianceRoots { name children(first: 20) { nodes { name children(first: 20) { nodes {
  name children(first: 20) { nodes { name } } } } } } } }`;
const PROJECTS = `query Projects { projects(first: 50) { nodes { id name status startDate budget
  leadOrganization { name } fundings { source amount receivedOn } } } }`;
const STATS = `query Stats($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) {
  lowIncomePopulation { total dibao dibaoMarginal extremePoverty otherMonitored } projectCount fundingTotal
  fundingBySource { source amount } linkedDepartments participatingSocialOrganizations householdTimesServed householdsServed
  visitHouseholdTimes happinessListsDelivered alliancesByLevel { level total standard } standardOperationRate openServiceRequests } }`;

function scenarios(landmarks: DemoLandmarks | null, embeddedCityId: string | null): Scenario[] {
  const list: Scenario[] = [];
  const period = { from: DEMO_FIGURES.from, to: DEMO_FIGURES.to };
  if (landmarks) {
    const partner = new URLSearchParams({
      organization: landmarks.wenlingPartnerOrganizationId,
      account: landmarks.accountIds["wenling-partner"],
      first: "50",
    });
    const stats = { id: landmarks.cityId, ...period };
    const statsPath = `/stats?${new URLSearchParams({ alliance: stats.id, from: stats.from, to: stats.to })}`;
    const statsScenario = { mode: "server", account: "demo-admin", query: STATS, variables: stats, rawPath: statsPath, countKey: "stats" } as const;
    const open = { id: landmarks.cityId, ...OPEN_PERIOD };
    const openPath = `/stats?${new URLSearchParams({ alliance: open.id, from: open.from, to: open.to })}`;
    const openScenario = { mode: "server", account: "demo-admin", query: STATS, variables: open, rawPath: openPath, countKey: "stats-open" } as const;
    list.push(
      { id: "feed", name: "50 newest OPEN requests, alliance, head of household (ADMIN)", mode: "server", connections: CONNECTIONS, account: "demo-admin", query: FEED, variables: { first: 50 }, rawPath: `/service-requests/admin?${new URLSearchParams({ account: landmarks.accountIds["demo-admin"], first: "50" })}`, countKey: "feed" },
      { id: "partner", name: "same, as PARTNER (scoped, masked)", mode: "server", connections: CONNECTIONS, account: "wenling-partner", query: FEED, variables: { first: 50 }, rawPath: `/service-requests/partner?${partner}`, countKey: "partner" },
      { id: "tree", name: "city → 9 counties → 20 townships → 20 villages", mode: "server", connections: CONNECTIONS, account: "demo-admin", query: TREE, rawPath: "/alliance-tree?first=20", countKey: "tree" },
      { id: "projects", name: "first 50 projects, lead organization, fundings", mode: "server", connections: CONNECTIONS, account: "demo-admin", query: PROJECTS, rawPath: "/projects?first=50", countKey: "projects" },
      { id: "stats", name: `city stats ${period.from}..${period.to}`, connections: CONNECTIONS, ...statsScenario },
      { id: "stats-c1", name: `city stats ${period.from}..${period.to}, c=1`, connections: 1, ...statsScenario },
      { id: "stats-open", name: `city stats ${OPEN_PERIOD.from}..${OPEN_PERIOD.to} (computed)`, connections: CONNECTIONS, ...openScenario },
      { id: "stats-open-c1", name: `city stats ${OPEN_PERIOD.from}..${OPEN_PERIOD.to} (computed), c=1`, connections: 1, ...openScenario },
    );
  }
  if (embeddedCityId) {
    list.push({
      id: "stats-embedded",
      name: `city stats ${period.from}..${period.to}, c=1, embedded (PGlite)`,
      mode: "embedded",
      connections: 1,
      account: "demo-admin",
      query: STATS,
      variables: { id: embeddedCityId, ...period },
      countKey: "stats-embedded",
    }, {
      id: "stats-open-embedded",
      name: `city stats ${OPEN_PERIOD.from}..${OPEN_PERIOD.to} (computed), c=1, embedded (PGlite)`,
      mode: "embedded",
      connections: 1,
      account: "demo-admin",
      query: STATS,
      variables: { id: embeddedCityId, ...OPEN_PERIOD },
      countKey: "stats-open-embedded",
    });
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Children

/** Every child process started and not yet exited, so that none outlives the bench. */
const live = new Set<ChildProcess>();

interface Child {
  process: ChildProcess;
  port: number;
  inspectPort?: number;
  output: string[];
}

/**
 * Starts `node [--inspect] <script>` with PORT=0 and resolves once it has printed the port it
 * listens on (`ready at http://…:<port>/graphql` or `listening <port>`) and, with `inspect`, the
 * inspector's port.
 */
async function startChild(script: string, env: Record<string, string>, options: { inspect?: boolean; timeoutMs?: number } = {}): Promise<Child> {
  const args = [...(options.inspect ? ["--inspect=127.0.0.1:0"] : []), path.join(projectRoot, script)];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), ...env, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  const output: string[] = [];
  let port = 0;
  let inspectPort: number | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${(options.timeoutMs ?? 120_000) / 1000} s`)), options.timeoutMs ?? 120_000);
    const look = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      if (output.length > 200) output.shift();
      const listening = /ready at http:\/\/[^:/\s]+:(\d+)\//.exec(text) ?? /^listening (\d+)/m.exec(text);
      if (listening) port = Number(listening[1]);
      const inspector = /Debugger listening on ws:\/\/[^:/\s]+:(\d+)\//.exec(text);
      if (inspector) inspectPort = Number(inspector[1]);
      if (port && (!options.inspect || inspectPort)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", look);
    child.stderr!.on("data", look);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal}) before it listened`));
    });
  });
  try {
    await ready;
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}:\n${output.join("")}`);
  }
  child.stdout!.on("data", () => undefined);
  child.stderr!.on("data", () => undefined);
  return { process: child, port, inspectPort, output };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

const stopChild = (child: Child) => stopProcess(child.process);

function serverEnv(databaseUrl: string): Record<string, string> {
  return { DATABASE_URL: databaseUrl, JWT_SECRET, LOG_LEVEL: "warn", HOST: "127.0.0.1", EVENT_POLL_INTERVAL: String(EVENT_POLL_INTERVAL_MS) };
}

/** The process's peak resident set (VmHWM) in MB since the last reset, then resets it (Linux). */
function takePeakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    /* the peak then covers the process's whole life */
  }
  return Math.round(kb / 1024);
}

// ---------------------------------------------------------------------------------------------
// Requests and answers

async function graphql(port: number, query: string, variables: Record<string, unknown> | undefined, token?: string): Promise<{ data?: unknown; errors?: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: unknown; errors?: unknown };
}

async function login(port: number, usernames: Account[]): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const account of DEMO_ACCOUNTS.filter((a) => (usernames as string[]).includes(a.username))) {
    const answer = await graphql(port, `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`, { u: account.username, p: account.password });
    if (answer.errors) throw new Error(`login ${account.username}: ${JSON.stringify(answer.errors)}`);
    tokens[account.username] = (answer.data as { login: { token: string } }).login.token;
  }
  return tokens;
}

/** JSON with object keys sorted, so two answers compare by their values only. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return JSON.stringify(sort(value));
}

/** Where two JSON values first differ, as a path and both values. */
function firstDifference(a: unknown, b: unknown, at = "data"): string | null {
  if (canonical(a) === canonical(b)) return null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${at}: ${a.length} items vs ${b.length}`;
    for (let i = 0; i < a.length; i += 1) {
      const found = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (found) return found;
    }
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}.${key}`);
      if (found) return found;
    }
  }
  return `${at}: ${JSON.stringify(a)?.slice(0, 200)} vs ${JSON.stringify(b)?.slice(0, 200)}`;
}

// ---------------------------------------------------------------------------------------------
// Load

interface Run {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
}

async function cannon(options: autocannon.Options): Promise<Run> {
  const result = await autocannon(options);
  return {
    requestsPerSecond: Math.round(result.requests.average * 10) / 10,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

function median(runs: Run[]): Run {
  const middle = <K extends keyof Run>(key: K) => [...runs].map((r) => r[key]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  return {
    requestsPerSecond: middle("requestsPerSecond"),
    p50Ms: middle("p50Ms"),
    p99Ms: middle("p99Ms"),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Statement counting

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until PostgreSQL runs nothing for `database` (statements of requests that autocannon
 * abandoned at the end of a run go on in the server and the database), so that the next run
 * starts on a quiet machine.
 */
async function settlePostgres(admin: pg.Client, database: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid()",
      [database],
    );
    if (rows[0].n === 0) break;
    await sleep(100);
  }
  // …and what the server still has to do in JavaScript for them (milliseconds per request).
  await sleep(250);
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim().slice(0, STATEMENT_TEXT_CHARS);

interface StatementText {
  text: string;
  count: number;
  perRequest: number;
  /** Seen while the server was idle: counted as background, not as the requests'. */
  background?: boolean;
  /** Ran a number of times that is not a multiple of the requests (a cache that expires with time, say). */
  notEveryRequest?: boolean;
}

interface Counted {
  requests: number;
  /** Statements per request, background subtracted. */
  perRequest: number;
  total: number;
  background: number;
  statements: StatementText[];
}

/** Statements the counter sees while nothing is asked, over `seconds`. */
async function idleStatements(counter: StatementCounter, seconds: number): Promise<{ seconds: number; count: number; statements: StatementText[] }> {
  counter.reset();
  await sleep(seconds * 1000);
  const statements = [...counter.statements()].map(([text, count]) => ({ text: oneLine(text), count, perRequest: 0 }));
  return { seconds, count: counter.count(), statements };
}

/** SQL statements per request: `send` run `n` times, one after the other; statements whose text ran while idle are background. */
async function countStatements(counter: StatementCounter, n: number, idleTexts: Set<string>, send: () => Promise<unknown>): Promise<Counted> {
  await sleep(50);
  counter.reset();
  for (let i = 0; i < n; i += 1) await send();
  await sleep(50);
  const seen = counter.statements();
  let background = 0;
  const statements: StatementText[] = [];
  for (const [text, count] of [...seen].sort((a, b) => b[1] - a[1])) {
    const line = oneLine(text);
    const isBackground = idleTexts.has(line);
    if (isBackground) background += count;
    statements.push({
      text: line,
      count,
      perRequest: Math.round((count / n) * 100) / 100,
      ...(isBackground ? { background: true } : {}),
      ...(count % n !== 0 ? { notEveryRequest: true } : {}),
    });
  }
  const total = counter.count();
  return { requests: n, perRequest: Math.round(((total - background) / n) * 100) / 100, total, background, statements };
}

// ---------------------------------------------------------------------------------------------
// Results

interface ScenarioResult {
  id: ScenarioId;
  scenario: string;
  mode: "server" | "embedded";
  connections: number;
  sameRows: boolean;
  /** What the answer was compared with. */
  comparedWith: string;
  mismatch?: string;
  server: Run;
  raw: Run | null;
  serverRounds: Run[];
  rawRounds: Run[];
  ratio: number | null;
  statementsPerRequest: number | null;
  rawStatementsPerRequest: number | null;
  statements: { server: Counted | null; raw: Counted | null };
  serverPeakRssMb: number;
  rawPeakRssMb: number | null;
  profile?: { file: string; summary: ProfileSummary };
}

const fmt = (value: number | null | undefined, digits = 1) => (value === null || value === undefined ? "n/a" : String(Math.round(value * 10 ** digits) / 10 ** digits));

function markdownTable(results: ScenarioResult[]): string {
  return [
    "| id | scenario | mode | c | server req/s | p50 ms | p99 ms | raw req/s | raw p99 ms | ratio | SQL statements/request | raw statements/request | server peak RSS MB | same rows |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...results.map(
      (r) =>
        `| ${r.id} | ${r.scenario} | ${r.mode} | ${r.connections} | ${r.server.requestsPerSecond} | ${r.server.p50Ms} | ${r.server.p99Ms} | ` +
        `${r.raw ? r.raw.requestsPerSecond : "n/a"} | ${r.raw ? r.raw.p99Ms : "n/a"} | ${fmt(r.ratio, 3)} | ${fmt(r.statementsPerRequest, 2)} | ` +
        `${fmt(r.rawStatementsPerRequest, 2)} | ${r.serverPeakRssMb} | ${r.sameRows ? "yes" : "NO"} (${r.comparedWith}) |`,
    ),
  ].join("\n");
}

function markdownStatements(results: ScenarioResult[]): string {
  const lines: string[] = [];
  const seen = new Set<Counted>();
  for (const r of results) {
    for (const [side, counted] of [["server", r.statements.server], ["raw", r.statements.raw]] as const) {
      if (!counted) continue;
      const again = seen.has(counted);
      seen.add(counted);
      lines.push(`- **${r.id}**, ${side}: ${counted.perRequest} per request (${counted.total} over ${counted.requests} requests${counted.background ? `, ${counted.background} background` : ""})${again ? " — as above" : ""}`);
      if (again) continue;
      for (const s of counted.statements) lines.push(`  - ${s.count}× (${s.perRequest}/request)${s.background ? " [background]" : s.notEveryRequest ? " [not every request]" : ""}: \`${s.text.replace(/`/g, "'")}\``);
    }
  }
  return lines.join("\n");
}

function markdownProfiles(results: ScenarioResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    if (!r.profile) continue;
    const s = r.profile.summary;
    lines.push(
      `### ${r.id} — ${r.scenario} (c=${r.connections}, ${r.mode})`,
      "",
      `\`${r.profile.file}\`: ${s.sampledMs} ms sampled, ${s.idleMs} ms idle, ${s.nonIdleMs} ms non-idle (the shares below are of the non-idle time).`,
      "",
      "Top functions by self time:",
      "",
      ...s.top.map((f, i) => `${i + 1}. ${f.percent}% ${f.name}`),
      "",
      "Self time by package:",
      "",
      ...s.groups.map((g) => `- ${g.percent}% ${g.name}`),
      "",
    );
  }
  return lines.join("\n");
}

function printProfile(result: ScenarioResult): void {
  if (!result.profile) return;
  const s = result.profile.summary;
  process.stdout.write(`  profile ${result.profile.file}: ${s.nonIdleMs} ms non-idle of ${s.sampledMs} ms\n`);
  process.stdout.write(`  top self time: ${s.top.slice(0, 10).map((f) => `${f.percent}% ${f.name}`).join("; ")}\n`);
  process.stdout.write(`  by package: ${s.groups.slice(0, 10).map((g) => `${g.percent}% ${g.name}`).join("; ")}\n`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = performance.now();
  const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(0)} s`;
  const options = parseOptions(process.argv.slice(2));
  const wanted = new Set(options.only);
  const usePostgres = options.only.some((id) => !id.endsWith("-embedded"));
  const useEmbedded = wanted.has("stats-embedded") || wanted.has("stats-open-embedded");
  const loadAverage = os.loadavg()[0];
  const date = new Date().toISOString();
  const stamp = date.replace(/[:.]/g, "-");
  const profileDir = path.join(projectRoot, "bench/results/profiles", stamp);

  const cleanups: (() => Promise<void>)[] = [];
  let cleaned: Promise<void> | null = null;
  const cleanUp = () =>
    (cleaned ??= (async () => {
      for (const child of [...live].reverse()) await stopProcess(child);
      for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => process.stderr.write(`cleanup: ${(error as Error).message}\n`));
    })());
  // Ctrl-C: the children go (they got the signal too), the scratch database is dropped.
  process.once("SIGINT", () => {
    process.stderr.write("\ninterrupted: cleaning up…\n");
    void cleanUp().finally(() => process.exit(130));
  });
  const spawnChild = (script: string, env: Record<string, string>, inspect = false) => startChild(script, env, { inspect });
  const retire = (child: Child) => stopChild(child);

  try {
    // The embedded server seeds its own copy of the demo dataset (about half a minute): start it
    // first, so that it loads while PostgreSQL does; it idles until its scenario.
    let embedded: Promise<Child> | null = null;
    let embeddedDir: string | null = null;
    if (useEmbedded) {
      embeddedDir = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-bench-api-embedded-"));
      const dir = embeddedDir;
      cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
      process.stdout.write(`Starting the server in embedded mode (it seeds the demo dataset into ${dir})…\n`);
      embedded = spawnChild(
        "dist/src/index.js",
        { DATA_DIR: path.join(dir, "data"), LOG_LEVEL: "warn", HOST: "127.0.0.1", EVENT_POLL_INTERVAL: String(EVENT_POLL_INTERVAL_MS) },
        true,
      );
      embedded.catch(() => undefined);
    }

    let database: ScratchDatabase | null = null;
    let landmarks: DemoLandmarks | null = null;
    if (usePostgres) {
      database = await createScratchDatabase(BASE_URL, "zl_bench_api");
      const db = database;
      cleanups.push(() => db.drop());
      process.stdout.write(`Loading the demo dataset into ${database.name}… (${elapsed()})\n`);
      landmarks = await loadDemoDatabase(database.url, JWT_SECRET);
    }

    let embeddedChild: Child | null = null;
    let embeddedCityId: string | null = null;
    let embeddedTokens: Record<string, string> = {};
    if (embedded) {
      embeddedChild = await embedded;
      process.stdout.write(`Embedded server ready (${elapsed()})\n`);
      embeddedTokens = await login(embeddedChild.port, ["demo-admin"]);
      const roots = await graphql(embeddedChild.port, "{ allianceRoots { id } }", undefined, embeddedTokens["demo-admin"]);
      embeddedCityId = ((roots.data as { allianceRoots: { id: string }[] } | undefined)?.allianceRoots ?? [])[0]?.id ?? null;
      if (!embeddedCityId) throw new Error(`the embedded server has no city: ${JSON.stringify(roots)}`);
    }

    const selected = scenarios(landmarks, embeddedCityId).filter((s) => wanted.has(s.id));
    const postgresScenarios = selected.filter((s) => s.mode === "server");

    // Phase 1: answers and exact statement counts, each child behind its own counter.
    const sameRows = new Map<ScenarioId, { ok: boolean; comparedWith: string; mismatch?: string }>();
    const counted = new Map<string, { server: Counted; raw: Counted }>();
    const serverAnswers = new Map<string, unknown>();
    let idle: { server: Awaited<ReturnType<typeof idleStatements>>; raw: Awaited<ReturnType<typeof idleStatements>> } | null = null;
    if (database && postgresScenarios.length) {
      const serverCounter = await startStatementCounter(database.url);
      const rawCounter = await startStatementCounter(database.url);
      cleanups.push(() => serverCounter.close(), () => rawCounter.close());
      process.stdout.write(`Counting statements (${elapsed()})…\n`);
      const server = await spawnChild("dist/src/index.js", serverEnv(serverCounter.url));
      const raw = await spawnChild("dist/bench/raw-sql-server.js", { DATABASE_URL: rawCounter.url });
      const tokens = await login(server.port, ["demo-admin", "wenling-partner"]);
      idle = { server: await idleStatements(serverCounter, IDLE_SECONDS), raw: await idleStatements(rawCounter, 0) };
      process.stdout.write(
        `  idle for ${IDLE_SECONDS} s: the server ran ${idle.server.count} statements${idle.server.count ? `: ${idle.server.statements.map((s) => `${s.count}× ${s.text.slice(0, 80)}`).join("; ")}` : ""}\n`,
      );
      const idleTexts = new Set(idle.server.statements.map((s) => s.text));
      for (const scenario of postgresScenarios) {
        const send = () => graphql(server.port, scenario.query, scenario.variables, tokens[scenario.account]);
        const rawUrl = `http://127.0.0.1:${raw.port}${scenario.rawPath}`;
        const serverAnswer = await send();
        const rawAnswer = (await (await fetch(rawUrl)).json()) as { data?: unknown };
        const mismatch = serverAnswer.errors ? `server errors: ${JSON.stringify(serverAnswer.errors).slice(0, 400)}` : firstDifference(serverAnswer.data, rawAnswer.data);
        sameRows.set(scenario.id, { ok: !mismatch, comparedWith: "raw SQL", ...(mismatch ? { mismatch } : {}) });
        serverAnswers.set(scenario.countKey, serverAnswer.data);
        if (!counted.has(scenario.countKey)) {
          counted.set(scenario.countKey, {
            server: await countStatements(serverCounter, options.countedRequests, idleTexts, send),
            raw: await countStatements(rawCounter, options.countedRequests, new Set(), async () => (await fetch(rawUrl)).text()),
          });
        }
        const c = counted.get(scenario.countKey)!;
        process.stdout.write(
          `  ${scenario.id}: ${mismatch ? `MISMATCH between the server and the raw-SQL server: ${mismatch}` : "same rows from both"}; ` +
            `statements/request: server ${c.server.perRequest}, raw ${c.raw.perRequest}\n`,
        );
      }
      await retire(raw);
      await retire(server);
    }

    // Phase 2: the measured rounds (no proxy, no debugger attached), then a profiled run.
    const results: ScenarioResult[] = [];
    const measure = async (scenario: Scenario, server: Child, tokens: Record<string, string>, raw: Child | null, settle: () => Promise<void>) => {
      process.stdout.write(`\n${scenario.id}: ${scenario.name} (c=${scenario.connections}, ${scenario.mode} mode) (${elapsed()})\n`);
      const body = JSON.stringify({ query: scenario.query, variables: scenario.variables });
      const headers = { "content-type": "application/json", authorization: `Bearer ${tokens[scenario.account]}` };
      const serverOptions = { url: `http://127.0.0.1:${server.port}/graphql`, method: "POST" as const, headers, body, connections: scenario.connections };
      const rawOptions = raw && scenario.rawPath ? { url: `http://127.0.0.1:${raw.port}${scenario.rawPath}`, connections: scenario.connections } : null;

      // Every run starts once the previous one's abandoned requests have finished.
      const run = async (o: autocannon.Options) => {
        await settle();
        return cannon(o);
      };
      await run({ ...serverOptions, duration: WARMUP_SECONDS });
      if (rawOptions) await run({ ...rawOptions, duration: WARMUP_SECONDS });
      await settle();
      takePeakRssMb(server.process.pid!);
      if (raw) takePeakRssMb(raw.process.pid!);
      const serverRounds: Run[] = [];
      const rawRounds: Run[] = [];
      for (let round = 0; round < options.rounds; round += 1) {
        serverRounds.push(await run({ ...serverOptions, duration: options.seconds }));
        if (rawOptions) rawRounds.push(await run({ ...rawOptions, duration: options.seconds }));
        process.stdout.write(
          `  round ${round + 1}: server ${serverRounds[round].requestsPerSecond} req/s (p99 ${serverRounds[round].p99Ms} ms)` +
            (rawOptions ? `, raw ${rawRounds[round].requestsPerSecond} req/s (p99 ${rawRounds[round].p99Ms} ms)` : "") +
            "\n",
        );
      }
      const serverPeakRssMb = takePeakRssMb(server.process.pid!);
      const rawPeakRssMb = raw && rawOptions ? takePeakRssMb(raw.process.pid!) : null;

      let profile: ScenarioResult["profile"];
      if (options.profile && server.inspectPort) {
        await settle();
        const { profile: recorded } = await recordCpuProfile(server.inspectPort, () => cannon({ ...serverOptions, duration: options.profileSeconds }));
        fs.mkdirSync(profileDir, { recursive: true });
        const file = path.join(profileDir, `${scenario.id}.cpuprofile`);
        fs.writeFileSync(file, JSON.stringify(recorded));
        profile = { file: path.relative(projectRoot, file), summary: summarizeProfile(recorded, projectRoot) };
      }
      await settle();

      const serverRun = median(serverRounds);
      const rawRun = rawRounds.length ? median(rawRounds) : null;
      const count = counted.get(scenario.countKey) ?? null;
      const same = sameRows.get(scenario.id) ?? { ok: false, comparedWith: "nothing" };
      const result: ScenarioResult = {
        id: scenario.id,
        scenario: scenario.name,
        mode: scenario.mode,
        connections: scenario.connections,
        sameRows: same.ok,
        comparedWith: same.comparedWith,
        ...(same.mismatch ? { mismatch: same.mismatch } : {}),
        server: serverRun,
        raw: rawRun,
        serverRounds,
        rawRounds,
        ratio: rawRun && rawRun.requestsPerSecond ? Math.round((serverRun.requestsPerSecond / rawRun.requestsPerSecond) * 1000) / 1000 : null,
        statementsPerRequest: count?.server.perRequest ?? null,
        rawStatementsPerRequest: count?.raw.perRequest ?? null,
        statements: { server: count?.server ?? null, raw: count?.raw ?? null },
        serverPeakRssMb,
        rawPeakRssMb,
        ...(profile ? { profile } : {}),
      };
      results.push(result);
      printProfile(result);
    };

    if (database && postgresScenarios.length) {
      const server = await spawnChild("dist/src/index.js", serverEnv(database.url), true);
      const raw = await spawnChild("dist/bench/raw-sql-server.js", { DATABASE_URL: database.url });
      const tokens = await login(server.port, ["demo-admin", "wenling-partner"]);
      const admin = new pg.Client({ connectionString: BASE_URL });
      await admin.connect();
      try {
        for (const scenario of postgresScenarios) await measure(scenario, server, tokens, raw, () => settlePostgres(admin, database!.name));
      } finally {
        await admin.end();
      }
      await retire(raw);
      await retire(server);
    }

    const embeddedScenarios = selected.filter((s) => s.mode === "embedded");
    if (embeddedScenarios.length > 0 && embeddedChild) {
      // PGlite runs one statement at a time: a cheap query that reads the database answers once
      // whatever an abandoned request left queued has run.
      const child = embeddedChild;
      const settleEmbedded = async () => {
        await graphql(child.port, "{ allianceRoots { id } }", undefined, embeddedTokens["demo-admin"]);
      };
      for (const embeddedScenario of embeddedScenarios) {
        // Its answer must carry the same figures as server mode's on the same (generated) dataset.
        const answer = await graphql(child.port, embeddedScenario.query, embeddedScenario.variables, embeddedTokens["demo-admin"]);
        const reference = serverAnswers.get(embeddedScenario.countKey.replace(/-embedded$/, ""));
        const mismatch = answer.errors
          ? `server errors: ${JSON.stringify(answer.errors).slice(0, 400)}`
          : reference !== undefined
            ? firstDifference(answer.data, reference)
            : embeddedScenario.id === "stats-embedded"
              ? firstDifference((answer.data as { stats: Record<string, unknown> }).stats, pickFigures((answer.data as { stats: Record<string, unknown> }).stats))
              : null;
        sameRows.set(embeddedScenario.id, {
          ok: !mismatch,
          comparedWith: reference !== undefined ? "server mode" : embeddedScenario.id === "stats-embedded" ? "DEMO_FIGURES" : "nothing (server mode not run)",
          ...(mismatch ? { mismatch } : {}),
        });
        if (mismatch) process.stdout.write(`  ${embeddedScenario.id}: MISMATCH: ${mismatch}\n`);
        await measure(embeddedScenario, child, embeddedTokens, null, settleEmbedded);
      }
      await retire(child);
    }

    // Report.
    const seconds = Math.round((performance.now() - startedAt) / 1000);
    const header =
      `API against the raw-SQL limit, ${date}: demo dataset, ${os.cpus().length} CPUs (load average ${loadAverage.toFixed(1)} at the start), ` +
      `autocannon ${options.seconds} s × ${options.rounds} interleaved rounds (median), Node ${process.version}; the whole run took ${seconds} s. ` +
      `SQL statements/request: Query + Execute messages on the wire (bench/lib/statement-counter.ts) over ${options.countedRequests} sequential requests; ` +
      `the server polled its event log every ${EVENT_POLL_INTERVAL_MS / 1000} s and ran ${idle?.server.count ?? "n/a"} statements while idle for ${IDLE_SECONDS} s. ` +
      `Peak RSS: VmHWM of the server process during the scenario's measured rounds. Embedded mode: PGlite inside the server process, no raw-SQL comparison (n/a).`;
    const table = markdownTable(results);
    process.stdout.write(`\n${header}\n\n${table}\n`);
    for (const r of results.filter((x) => x.server.errors || x.server.non2xx || x.raw?.errors || x.raw?.non2xx)) {
      process.stdout.write(`${r.id}: server ${r.server.errors} errors, ${r.server.non2xx} non-2xx; raw ${r.raw?.errors ?? 0} errors, ${r.raw?.non2xx ?? 0} non-2xx\n`);
    }
    for (const r of results.filter((x) => !x.sameRows)) process.stdout.write(`${r.id}: answers differ (${r.comparedWith}): ${r.mismatch}\n`);
    const statementsMd = markdownStatements(results);
    const profilesMd = markdownProfiles(results);
    process.stdout.write(`\nStatements per request:\n${statementsMd}\n`);

    const dir = path.join(projectRoot, "bench/results");
    fs.mkdirSync(dir, { recursive: true });
    const stem = path.join(dir, `api-${stamp}`);
    fs.writeFileSync(
      `${stem}.json`,
      `${JSON.stringify(
        {
          benchmark: "api",
          date,
          node: process.version,
          cpus: os.cpus().length,
          loadAverage,
          options,
          elapsedSeconds: seconds,
          statementCounting: {
            method: "Query ('Q') and Execute ('E') messages counted by a wire-protocol proxy (bench/lib/statement-counter.ts)",
            requests: options.countedRequests,
            eventPollIntervalMs: EVENT_POLL_INTERVAL_MS,
            idle,
          },
          results,
        },
        null,
        2,
      )}\n`,
    );
    fs.writeFileSync(
      `${stem}.md`,
      `${header}\n\n${table}\n\n## SQL statements per request\n\n${statementsMd}\n\n## CPU profiles (server)\n\n${profilesMd || "(none)\n"}`,
    );
    process.stdout.write(`\nSaved ${path.relative(projectRoot, stem)}.json and .md${options.profile ? `, profiles in ${path.relative(projectRoot, profileDir)}` : ""}\n`);
    process.stdout.write(`The bench took ${seconds} s (${(seconds / 60).toFixed(1)} min).\n`);
  } finally {
    await cleanUp();
  }
}

/** The figures of DEMO_FIGURES that a stats answer carries, for comparing an embedded answer when server mode did not run. */
function pickFigures(stats: Record<string, unknown>): Record<string, unknown> {
  const figures: Record<string, unknown> = { ...stats };
  for (const [key, value] of Object.entries(DEMO_FIGURES)) if (key in figures) figures[key] = value;
  return figures;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
