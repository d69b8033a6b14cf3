/**
 * The API against its raw-SQL limit (issue 10): loads the demo dataset into a database of its
 * own on the configured PostgreSQL, starts the server in server mode (`node dist/src/index.js`)
 * and the raw-SQL server (bench/raw-sql-server.ts) as child processes, checks that both answer
 * each scenario with the same rows, then runs each scenario with autocannon against both,
 * interleaved, and drops the database.
 *
 *   npm run bench            (DATABASE_URL defaults to postgresql://postgres@127.0.0.1:5432/postgres)
 *   npm run build && node dist/bench/api.js [seconds=10] [rounds=3]
 *
 * Per scenario: requests/s, p50 and p99 latency at 20 connections (the median of the rounds),
 * the ratio to the raw-SQL server, SQL statements per request and the server's peak RSS.
 * Statements are counted from `pg_stat_database.xact_commit + xact_rollback` of the scratch
 * database around sequential requests (each statement outside a transaction is one
 * transaction), less the server's idle rate (event polling). Prints a table and writes
 * bench/results/api-<timestamp>.json and .md.
 */
import "reflect-metadata";
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { DEMO_ACCOUNTS, DEMO_FIGURES, loadDemoDataset, type DemoLandmarks } from "../prisma/seed";
import { closeApp, openApp } from "../src/app";
import { createLogger } from "../src/common/logger";
import { projectRoot } from "../src/common/paths";
import { loadConfig } from "../src/config";
import { createScratchDatabase, type ScratchDatabase } from "../src/db/scratch-database";

const SECONDS = Number(process.argv[2] ?? 10);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONNECTIONS = 20;
const WARMUP_SECONDS = 1;
const COUNTED_REQUESTS = 20;
const JWT_SECRET = "bench-api-secret-bench-api-secret-bench-api";
const BASE_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

interface Scenario {
  name: string;
  connections: number;
  account: "demo-admin" | "wenling-partner";
  query: string;
  variables?: Record<string, unknown>;
  rawPath: string;
}

interface Run {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

interface ScenarioResult {
  scenario: string;
  connections: number;
  sameRows: boolean;
  mismatch?: string;
  server: Run;
  raw: Run;
  serverRounds: Run[];
  rawRounds: Run[];
  ratio: number;
  statementsPerRequest: number;
  rawStatementsPerRequest: number;
  serverPeakRssMb: number;
  rawPeakRssMb: number;
}

interface Child {
  process: ChildProcess;
  port: number;
  output: string[];
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

function scenarios(landmarks: DemoLandmarks): Scenario[] {
  const partner = new URLSearchParams({
    organization: landmarks.wenlingPartnerOrganizationId,
    account: landmarks.accountIds["wenling-partner"],
    first: "50",
  });
  const stats = { id: landmarks.cityId, from: DEMO_FIGURES.from, to: DEMO_FIGURES.to };
  const statsPath = `/stats?${new URLSearchParams({ alliance: stats.id, from: stats.from, to: stats.to })}`;
  const statsScenario = { account: "demo-admin", query: STATS, variables: stats, rawPath: statsPath } as const;
  return [
    { name: "50 newest OPEN requests, alliance, head of household (ADMIN)", connections: CONNECTIONS, account: "demo-admin", query: FEED, variables: { first: 50 }, rawPath: "/service-requests/admin?first=50" },
    { name: "same, as PARTNER (scoped, masked)", connections: CONNECTIONS, account: "wenling-partner", query: FEED, variables: { first: 50 }, rawPath: `/service-requests/partner?${partner}` },
    { name: "city → 9 counties → 20 townships → 20 villages", connections: CONNECTIONS, account: "demo-admin", query: TREE, rawPath: "/alliance-tree?first=20" },
    { name: "first 50 projects, lead organization, fundings", connections: CONNECTIONS, account: "demo-admin", query: PROJECTS, rawPath: "/projects?first=50" },
    { name: `city stats ${stats.from}..${stats.to}`, connections: CONNECTIONS, ...statsScenario },
    { name: `city stats ${stats.from}..${stats.to}, c=1`, connections: 1, ...statsScenario },
  ];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

async function startChild(script: string, env: Record<string, string>, ready: (port: number) => Promise<boolean>): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(projectRoot, script)], {
    env: { PATH: process.env.PATH ?? "", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await ready(port).catch(() => false)) return { process: child, port, output };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill("SIGKILL");
  throw new Error(`${script} did not start:\n${output.join("")}`);
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null) return;
  const exited = new Promise((resolve) => child.process.once("exit", resolve));
  child.process.kill("SIGTERM");
  const timer = setTimeout(() => child.process.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
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

async function graphql(port: number, query: string, variables: Record<string, unknown> | undefined, token?: string): Promise<{ data?: unknown; errors?: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: unknown; errors?: unknown };
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
  return `${at}: server ${JSON.stringify(a)?.slice(0, 200)} vs raw ${JSON.stringify(b)?.slice(0, 200)}`;
}

async function cannon(options: autocannon.Options): Promise<Run> {
  const result = await autocannon(options);
  return {
    requestsPerSecond: Math.round(result.requests.average * 10) / 10,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
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
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
  };
}

/** Transactions committed or rolled back in `database` so far, as PostgreSQL's statistics have them. */
async function transactions(admin: pg.Client, database: string): Promise<number> {
  await admin.query("SELECT pg_stat_clear_snapshot()");
  const { rows } = await admin.query<{ n: string }>("SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = $1", [database]);
  return Number(rows[0].n);
}

const STATS_FLUSH_MS = 2_500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Transactions per second in `database` while nobody asks anything. */
async function idleRate(admin: pg.Client, database: string): Promise<number> {
  await sleep(STATS_FLUSH_MS);
  const before = await transactions(admin, database);
  const started = performance.now();
  await sleep(5_000 + STATS_FLUSH_MS);
  const after = await transactions(admin, database);
  return (after - before) / ((performance.now() - started) / 1000);
}

/** SQL statements per request: `send` run sequentially, the idle rate subtracted. */
async function statementsPerRequest(admin: pg.Client, database: string, idlePerSecond: number, send: () => Promise<unknown>): Promise<number> {
  await sleep(STATS_FLUSH_MS);
  const before = await transactions(admin, database);
  const started = performance.now();
  for (let i = 0; i < COUNTED_REQUESTS; i += 1) await send();
  await sleep(STATS_FLUSH_MS);
  const elapsed = (performance.now() - started) / 1000;
  const counted = (await transactions(admin, database)) - before - idlePerSecond * elapsed;
  return Math.round((counted / COUNTED_REQUESTS) * 100) / 100;
}

async function loadDataset(database: ScratchDatabase): Promise<DemoLandmarks> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-bench-api-"));
  const config = loadConfig({ DATABASE_URL: database.url, DATA_DIR: dataDir, JWT_SECRET, SEED: "none", LOG_LEVEL: "silent", PORT: "0" });
  const app = await openApp(config, createLogger("silent"));
  try {
    const result = await app.deps.db.withConnection(async (sql) => {
      const loaded = await loadDemoDataset(sql);
      await sql.exec("VACUUM (ANALYZE)");
      return loaded;
    });
    if (!result.landmarks) throw new Error("the demo dataset was not loaded");
    return result.landmarks;
  } finally {
    await closeApp(app);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function markdown(results: ScenarioResult[], header: string): string {
  const lines = [
    header,
    "",
    "| scenario | c | server req/s | p50 ms | p99 ms | raw req/s | raw p99 ms | ratio | SQL statements/request | server peak RSS MB | same rows |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...results.map(
      (r) =>
        `| ${r.scenario} | ${r.connections} | ${r.server.requestsPerSecond} | ${r.server.p50Ms} | ${r.server.p99Ms} | ${r.raw.requestsPerSecond} | ${r.raw.p99Ms} | ${r.ratio} | ${r.statementsPerRequest} | ${r.serverPeakRssMb} | ${r.sameRows ? "yes" : "NO"} |`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const loadAverage = os.loadavg()[0];
  const database = await createScratchDatabase(BASE_URL, "zl_bench_api");
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  const children: Child[] = [];
  try {
    process.stdout.write(`Loading the demo dataset into ${database.name}…\n`);
    const landmarks = await loadDataset(database);

    const server = await startChild(
      "dist/src/index.js",
      { DATABASE_URL: database.url, JWT_SECRET, LOG_LEVEL: "warn", HOST: "127.0.0.1" },
      async (port) => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
    );
    children.push(server);
    const raw = await startChild(
      "dist/bench/raw-sql-server.js",
      { DATABASE_URL: database.url },
      async (port) => (await fetch(`http://127.0.0.1:${port}/alliance-tree?first=1`)).ok,
    );
    children.push(raw);

    const tokens: Record<string, string> = {};
    for (const account of DEMO_ACCOUNTS.filter((a) => a.username === "demo-admin" || a.username === "wenling-partner")) {
      const answer = await graphql(server.port, `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`, { u: account.username, p: account.password });
      if (answer.errors) throw new Error(`login ${account.username}: ${JSON.stringify(answer.errors)}`);
      tokens[account.username] = (answer.data as { login: { token: string } }).login.token;
    }

    process.stdout.write("Measuring the server's idle statement rate…\n");
    const idlePerSecond = await idleRate(admin, database.name);

    const results: ScenarioResult[] = [];
    const counted = new Map<string, [number, number]>();
    for (const scenario of scenarios(landmarks)) {
      process.stdout.write(`\n${scenario.name} (c=${scenario.connections})\n`);
      const body = JSON.stringify({ query: scenario.query, variables: scenario.variables });
      const headers = { "content-type": "application/json", authorization: `Bearer ${tokens[scenario.account]}` };
      const serverOptions = { url: `http://127.0.0.1:${server.port}/graphql`, method: "POST" as const, headers, body, connections: scenario.connections };
      const rawOptions = { url: `http://127.0.0.1:${raw.port}${scenario.rawPath}`, connections: scenario.connections };

      const serverAnswer = await graphql(server.port, scenario.query, scenario.variables, tokens[scenario.account]);
      const rawAnswer = (await (await fetch(rawOptions.url)).json()) as { data?: unknown };
      const mismatch = serverAnswer.errors ? `server errors: ${JSON.stringify(serverAnswer.errors).slice(0, 400)}` : firstDifference(serverAnswer.data, rawAnswer.data);
      if (mismatch) process.stdout.write(`  MISMATCH between the server and the raw-SQL server: ${mismatch}\n`);
      else process.stdout.write("  same rows from both\n");

      if (!counted.has(scenario.rawPath)) {
        counted.set(scenario.rawPath, [
          await statementsPerRequest(admin, database.name, idlePerSecond, () => graphql(server.port, scenario.query, scenario.variables, tokens[scenario.account])),
          await statementsPerRequest(admin, database.name, idlePerSecond, async () => (await fetch(rawOptions.url)).text()),
        ]);
      }
      const [statements, rawStatements] = counted.get(scenario.rawPath)!;

      await cannon({ ...serverOptions, duration: WARMUP_SECONDS });
      await cannon({ ...rawOptions, duration: WARMUP_SECONDS });
      takePeakRssMb(server.process.pid!);
      takePeakRssMb(raw.process.pid!);
      const serverRounds: Run[] = [];
      const rawRounds: Run[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        serverRounds.push(await cannon({ ...serverOptions, duration: SECONDS }));
        rawRounds.push(await cannon({ ...rawOptions, duration: SECONDS }));
        process.stdout.write(`  round ${round + 1}: server ${serverRounds[round].requestsPerSecond} req/s, raw ${rawRounds[round].requestsPerSecond} req/s\n`);
      }
      const serverRun = median(serverRounds);
      const rawRun = median(rawRounds);
      results.push({
        scenario: scenario.name,
        connections: scenario.connections,
        sameRows: !mismatch,
        ...(mismatch ? { mismatch } : {}),
        server: serverRun,
        raw: rawRun,
        serverRounds,
        rawRounds,
        ratio: rawRun.requestsPerSecond ? Math.round((serverRun.requestsPerSecond / rawRun.requestsPerSecond) * 1000) / 1000 : 0,
        statementsPerRequest: statements,
        rawStatementsPerRequest: rawStatements,
        serverPeakRssMb: takePeakRssMb(server.process.pid!),
        rawPeakRssMb: takePeakRssMb(raw.process.pid!),
      });
    }

    const date = new Date().toISOString();
    const header =
      `API against the raw-SQL limit, ${date}: demo dataset on PostgreSQL, ${os.cpus().length} CPUs (load average ${loadAverage.toFixed(1)} at the start), ` +
      `autocannon ${SECONDS} s × ${ROUNDS} interleaved rounds (median), Node ${process.version}. ` +
      `SQL statements/request: pg_stat_database xact_commit + xact_rollback of the scratch database over ${COUNTED_REQUESTS} sequential requests, ` +
      `less the idle rate (${idlePerSecond.toFixed(2)}/s). Peak RSS: VmHWM of the server process during the scenario's runs.`;
    const table = markdown(results, header);
    process.stdout.write(`\n${table}`);
    for (const r of results.filter((x) => x.server.errors || x.server.non2xx || x.raw.errors || x.raw.non2xx)) {
      process.stdout.write(`${r.scenario}: server ${r.server.errors} errors, ${r.server.non2xx} non-2xx; raw ${r.raw.errors} errors, ${r.raw.non2xx} non-2xx\n`);
    }

    const dir = path.join(projectRoot, "bench/results");
    fs.mkdirSync(dir, { recursive: true });
    const stem = path.join(dir, `api-${date.replace(/[:.]/g, "-")}`);
    fs.writeFileSync(
      `${stem}.json`,
      `${JSON.stringify(
        {
          benchmark: "api",
          date,
          node: process.version,
          cpus: os.cpus().length,
          loadAverage,
          seconds: SECONDS,
          rounds: ROUNDS,
          statementCounting: { method: "pg_stat_database (xact_commit + xact_rollback)", requests: COUNTED_REQUESTS, idleTransactionsPerSecond: idlePerSecond },
          results,
        },
        null,
        2,
      )}\n`,
    );
    fs.writeFileSync(`${stem}.md`, table);
    process.stdout.write(`\nSaved ${path.relative(projectRoot, stem)}.json and .md\n`);
  } finally {
    for (const child of children.reverse()) await stopChild(child);
    await admin.end();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
