/**
 * Live subscribers (issue 10): N WebSocket subscribers, one subscription each, spread over 100
 * accounts of every role (ADMIN; COORDINATORs of the city, the counties, townships and villages;
 * PARTNERs of 100 organizations with alliance memberships of their own), a sixth of them filtered
 * by alliance, a sixth by category and a sixth by kind, and one event a second. Loads the demo
 * dataset into a database of its own on the configured PostgreSQL, creates and signs in the
 * accounts through the API as the demo admin, then for each topology (one instance; two instances
 * with Redis between them) and each N starts the servers afresh, opens the N sockets from two
 * worker threads (bench/fanout-client.ts), raises the events (createServiceRequest in villages,
 * 80 % for a household, and claims by partners) and measures:
 *
 * - delivered/expected: the bench works out, from the scopes it gave the accounts and each
 *   subscription's filter, which subscribers each event concerns; deliveries to a subscriber it
 *   does not concern, duplicates, and a head of household masked when it should not be (or shown
 *   when it should be masked) are counted apart;
 * - latency: arrival in the bench's worker − the event's `occurredAt` (taken in the mutation's
 *   transaction just before its last statements and commit, so a little more than from commit);
 * - SQL statements per event: every Query and Execute message the server instances send to
 *   PostgreSQL (bench/lib/statement-counter.ts) from the first event until the last delivery, less
 *   the idle rate measured just before with every socket open, divided by the events; the
 *   mutations' own statements are in it;
 * - RSS: each server process's peak (VmHWM) over its run;
 * - the personal-data access record: the reads the servers recorded equal the unmasked deliveries;
 * - a CPU profile of each server over the measured window, through its inspector (--no-profile: none).
 *
 *   npm run bench:fanout   (DATABASE_URL defaults to postgresql://postgres@127.0.0.1:5432/postgres;
 *                           REDIS_URL to a redis-server of the bench's own)
 *   npm run build && node dist/bench/fanout.js [--n 1000,5000,10000] [--events 20] [--topologies one,two] [--no-profile] [--reuse]
 *
 * --reuse (development) keeps the database and the signed-in accounts for the next run with it.
 * The servers run with WS_MAX_SOCKETS_PER_ACCOUNT=200: 10,000 sockets over 300 accounts is about
 * 34 an account, and the default allows 10. Login limits count failed logins only, so they stay.
 * Prints a table and writes bench/results/fanout-<timestamp>.json and .md (and -profiles/).
 */
import "reflect-metadata";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import pg from "pg";
import WebSocket from "ws";
import { DEMO_ACCOUNTS } from "../prisma/seed";
import { projectRoot } from "../src/common/paths";
import { createScratchDatabase } from "../src/db/scratch-database";
import type { FromWorker, ToWorker } from "./fanout-client";
import { loadDemoDatabase } from "./lib/demo-database";
import { startStatementCounter, type StatementCounter } from "./lib/statement-counter";

const JWT_SECRET = "bench-fanout-secret-bench-fanout-secret-0123";
const BASE_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const ACCOUNTS_PER_ROLE = 100;
const WORKERS = 2;
const OPEN_CONCURRENCY = 64;
const WARMUP_EVENTS = 2;
const TAIL_MS = 4_000;
const IDLE_MS = 3_000;
const WS_MAX_SOCKETS_PER_ACCOUNT = 200;
const CATEGORIES = ["PRECISION_ASSISTANCE", "PSYCHOLOGICAL_SUPPORT", "SKILLS_TRAINING", "COMMUNITY_INTEGRATION", "EMPLOYMENT", "MINOR_CARE", "ELDERLY_CARE", "MEDICAL_SUPPORT", "OTHER"];

const SUBSCRIPTION = `subscription Events($filter: ServiceRequestSubscriptionFilter) {
  serviceRequestEvents(filter: $filter) {
    id kind occurredAt
    request {
      id title status category urgency createdAt
      alliance { id name level }
      household { id headName idNumber }
      claimedBy { id name }
    }
  }
}`;

class ClientWorker {
  private readonly worker: Worker;
  private waiting: ((message: FromWorker) => void) | null = null;

  constructor() {
    this.worker = new Worker(path.join(__dirname, "fanout-client.js"));
    this.worker.on("message", (message: FromWorker) => {
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.(message);
    });
    this.worker.on("error", (error) => process.stderr.write(`client worker failed: ${error.stack}\n`));
  }

  ask<T extends FromWorker["type"]>(message: ToWorker): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve) => {
      this.waiting = resolve as (message: FromWorker) => void;
      this.worker.postMessage(message);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

// ---------------------------------------------------------------------------------------------
// The main thread.

interface Options {
  ns: number[];
  events: number;
  topologies: ("one" | "two")[];
  cpuProf: boolean;
  /** Development: keep the database and accounts in node_modules/.cache for the next run with --reuse. */
  reuse: boolean;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  return {
    ns: (value("n") ?? "1000,5000,10000").split(",").map(Number),
    events: Number(value("events") ?? 20),
    topologies: (value("topologies") ?? "one,two").split(",") as ("one" | "two")[],
    cpuProf: !argv.includes("--no-profile"),
    reuse: argv.includes("--reuse"),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

interface ServerChild {
  process: ChildProcess;
  port: number;
  output: string[];
  counter: StatementCounter;
  /** The inspector port when the bench profiles the server. */
  inspectorPort: number | null;
}

async function startServer(databaseUrl: string, env: Record<string, string>, profile: boolean): Promise<ServerChild> {
  const counter = await startStatementCounter(databaseUrl);
  const port = await freePort();
  const inspectorPort = profile ? await freePort() : null;
  const args = inspectorPort ? [`--inspect=127.0.0.1:${inspectorPort}`] : [];
  const child = spawn(process.execPath, [...args, path.join(__dirname, "..", "src", "index.js")], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      DATABASE_URL: counter.url,
      JWT_SECRET,
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      PORT: String(port),
      SEED: "none",
      WS_MAX_SOCKETS_PER_ACCOUNT: String(WS_MAX_SOCKETS_PER_ACCOUNT),
      ...env,
    },
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
  while (Date.now() < deadline && child.exitCode === null) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ready) return { process: child, port, output, counter, inspectorPort };
    await sleep(200);
  }
  child.kill("SIGKILL");
  throw new Error(`the server did not start:\n${output.join("")}`);
}

async function stopServer(server: ServerChild): Promise<void> {
  if (server.process.exitCode === null) {
    const exited = new Promise((resolve) => server.process.once("exit", resolve));
    server.process.kill("SIGTERM");
    const timer = setTimeout(() => server.process.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  }
  await server.counter.close();
}

/**
 * A CPU profile of a server child over a window, through its inspector (Chrome DevTools
 * protocol): `start()` when the window opens, then `stop()` gives the profile.
 */
async function profiler(server: ServerChild): Promise<{ stop(): Promise<unknown> }> {
  const targets = (await (await fetch(`http://127.0.0.1:${server.inspectorPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  let id = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.on("message", (data) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      id += 1;
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 500 });
  await call("Profiler.start");
  return {
    async stop() {
      const { profile } = (await call("Profiler.stop")) as { profile: unknown };
      socket.close();
      return profile;
    },
  };
}

function procStatus(pid: number, field: "VmHWM" | "VmRSS"): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024);
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) the process has used. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Waits until the processes use under 10 % of a core for a second (subscriptions registered), at most `ms`. */
async function untilIdle(pids: number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const before = pids.map(cpuSeconds);
    await sleep(1_000);
    const used = pids.map((pid, i) => cpuSeconds(pid) - before[i]);
    if (used.every((seconds) => seconds < 0.1)) return;
  }
}

async function graphql<T>(port: number, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
  return body.data as T;
}

async function inParallel<T, R>(items: readonly T[], lanes: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index], index);
      }
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------
// The bench's own model of who may see what.

interface AllianceRow {
  id: string;
  path: string;
  level: "CITY" | "COUNTY" | "TOWNSHIP" | "VILLAGE";
}

interface OrganizationRow {
  id: string;
  categories: string[];
  /** Paths of the alliances it is a member of. */
  paths: string[];
  allianceIds: string[];
}

interface BenchAccount {
  id: string;
  username: string;
  role: "ADMIN" | "COORDINATOR" | "PARTNER";
  token: string;
  /** null: everything (ADMIN). */
  scopePaths: string[] | null;
  organizationId: string | null;
  /** An alliance inside the scope, for the subscribers that filter by alliance. */
  filterAlliance: { id: string; path: string };
}

interface Subscriber {
  index: number;
  account: BenchAccount;
  instance: number;
  filter: { allianceId?: string; category?: string[]; kinds?: string[] };
  filterPath: string | null;
}

interface PlannedEvent {
  kind: "CREATED" | "CLAIMED";
  village: AllianceRow;
  category: string;
  householdId: string | null;
  claimer: BenchAccount;
  /** For CLAIMED: the planned CREATED event of the request. */
  of?: PlannedEvent;
  requestId?: string;
  key?: string;
  sentAt?: number;
  answeredAt?: number;
}

function inScope(scopePaths: string[] | null, path: string): boolean {
  return scopePaths === null || scopePaths.some((root) => path.startsWith(root));
}

function concerns(subscriber: Subscriber, event: PlannedEvent): boolean {
  return (
    inScope(subscriber.account.scopePaths, event.village.path) &&
    (!subscriber.filterPath || event.village.path.startsWith(subscriber.filterPath)) &&
    (!subscriber.filter.category || subscriber.filter.category.includes(event.category)) &&
    (!subscriber.filter.kinds || subscriber.filter.kinds.includes(event.kind))
  );
}

/** Whether the subscriber should see the household's PII: ADMIN, a COORDINATOR (the village lies in its subtree), or the partner holding the claim (requests raised by the admin). */
function shouldBeMasked(subscriber: Subscriber, event: PlannedEvent): boolean {
  if (subscriber.account.role !== "PARTNER") return false;
  return !(event.kind === "CLAIMED" && event.claimer.organizationId === subscriber.account.organizationId);
}

interface World {
  alliances: AllianceRow[];
  villages: AllianceRow[];
  organizations: OrganizationRow[];
  /** Households with no service request yet, by village id. */
  households: Map<string, string[]>;
}

async function readWorld(db: pg.Client, demoPartnerOrganizationId: string): Promise<World> {
  const alliances = (await db.query<AllianceRow>(`SELECT id::text AS id, path, level::text AS level FROM alliance ORDER BY region_code`)).rows;
  const organizations = (
    await db.query<{ id: string; categories: string[]; paths: string[]; alliance_ids: string[] }>(
      `SELECT o.id::text AS id, o.service_categories::text[] AS categories,
              array_agg(a.path ORDER BY a.path) AS paths, array_agg(a.id::text ORDER BY a.path) AS alliance_ids
         FROM organization o JOIN alliance_membership m ON m.organization_id = o.id JOIN alliance a ON a.id = m.alliance_id
        WHERE o.kind <> 'GOVERNMENT_DEPARTMENT' AND o.id <> $1::uuid
        GROUP BY o.id ORDER BY count(*) DESC, o.id LIMIT $2`,
      [demoPartnerOrganizationId, ACCOUNTS_PER_ROLE],
    )
  ).rows.map((row) => ({ id: row.id, categories: row.categories, paths: row.paths, allianceIds: row.alliance_ids }));
  return { alliances, villages: alliances.filter((a) => a.level === "VILLAGE"), organizations, households: await unrequestedHouseholds(db) };
}

/** Up to 40 households a village that no service request names yet (and no care assignment), by village id. */
async function unrequestedHouseholds(db: pg.Client): Promise<Map<string, string[]>> {
  const households = new Map<string, string[]>();
  const rows = (
    await db.query<{ alliance_id: string; id: string }>(
      `SELECT h.alliance_id::text AS alliance_id, h.id::text AS id
         FROM (SELECT h.*, row_number() OVER (PARTITION BY h.alliance_id ORDER BY h.id) AS n FROM household h
                WHERE NOT EXISTS (SELECT 1 FROM service_request r WHERE r.household_id = h.id)
                  AND NOT EXISTS (SELECT 1 FROM household_assignment ha WHERE ha.household_id = h.id)) h
        WHERE h.n <= 40`,
    )
  ).rows;
  for (const row of rows) households.set(row.alliance_id, [...(households.get(row.alliance_id) ?? []), row.id]);
  return households;
}

/** Random but repeatable. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Creates and signs in ACCOUNTS_PER_ROLE accounts of each role through the API, as the demo admin. */
async function createAccounts(port: number, adminToken: string, world: World): Promise<BenchAccount[]> {
  const byLevel = (level: AllianceRow["level"]) => world.alliances.filter((a) => a.level === level);
  const pick = <T>(list: T[], count: number) => Array.from({ length: Math.min(count, list.length) }, (_, i) => list[Math.floor((i * list.length) / Math.min(count, list.length))]);
  const counties = byLevel("COUNTY");
  const coordinatorAlliances = [
    ...byLevel("CITY"),
    ...counties,
    ...pick(byLevel("TOWNSHIP"), 50),
    ...pick(world.villages, ACCOUNTS_PER_ROLE - 60),
  ].slice(0, ACCOUNTS_PER_ROLE);
  const plans: Omit<BenchAccount, "id" | "token">[] = [];
  for (let i = 0; i < ACCOUNTS_PER_ROLE; i += 1) {
    const county = counties[i % counties.length];
    plans.push({ username: `fanout-admin-${i}`, role: "ADMIN", scopePaths: null, organizationId: null, filterAlliance: county });
    const alliance = coordinatorAlliances[i % coordinatorAlliances.length];
    plans.push({ username: `fanout-coordinator-${i}`, role: "COORDINATOR", scopePaths: [alliance.path], organizationId: null, filterAlliance: alliance });
    const organization = world.organizations[i % world.organizations.length];
    plans.push({
      username: `fanout-partner-${i}`,
      role: "PARTNER",
      scopePaths: organization.paths,
      organizationId: organization.id,
      filterAlliance: { id: organization.allianceIds[0], path: organization.paths[0] },
    });
  }
  const allianceOf = new Map(coordinatorAlliances.map((a) => [a.path, a.id]));
  return inParallel(plans, 4, async (plan, i) => {
    const password = `fanout-bench-password-${i}`;
    const input = {
      username: plan.username,
      password,
      role: plan.role,
      ...(plan.role === "COORDINATOR" ? { allianceId: allianceOf.get(plan.scopePaths![0]) } : {}),
      ...(plan.role === "PARTNER" ? { organizationId: plan.organizationId } : {}),
    };
    const created = await graphql<{ createAccount: { id: string } }>(port, `mutation ($input: CreateAccountInput!) { createAccount(input: $input) { id } }`, { input }, adminToken);
    const login = await graphql<{ login: { token: string } }>(port, `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`, { u: plan.username, p: password });
    return { ...plan, id: created.createAccount.id, token: login.login.token };
  });
}

function subscribers(accounts: BenchAccount[], n: number, instances: number): Subscriber[] {
  const list: Subscriber[] = [];
  for (let index = 0; index < n; index += 1) {
    const account = accounts[index % accounts.length];
    const variant = Math.floor(index / accounts.length) % 6;
    const filter: Subscriber["filter"] = {};
    let filterPath: string | null = null;
    if (variant === 2) {
      filter.allianceId = account.filterAlliance.id;
      filterPath = account.filterAlliance.path;
    } else if (variant === 3) {
      filter.category = CATEGORIES.filter((_, i) => (i + index) % 3 === 0);
    } else if (variant === 4) {
      filter.kinds = ["CREATED"];
    }
    list.push({ index, account, instance: index % instances, filter, filterPath });
  }
  return list;
}

/** The events: two creates then a claim of the first, over and over, in villages where the claiming partner may act. */
function planEvents(world: World, accounts: BenchAccount[], count: number, seed: number): PlannedEvent[] {
  const next = random(seed);
  const partners = accounts.filter((a) => a.role === "PARTNER");
  const events: PlannedEvent[] = [];
  const used = new Set<string>();
  const create = (): PlannedEvent => {
    for (;;) {
      const claimer = partners[Math.floor(next() * partners.length)];
      const organization = world.organizations.find((o) => o.id === claimer.organizationId)!;
      const root = organization.paths[Math.floor(next() * organization.paths.length)];
      const villages = world.villages.filter((v) => v.path.startsWith(root));
      if (!villages.length) continue;
      const village = villages[Math.floor(next() * villages.length)];
      const candidates = (world.households.get(village.id) ?? []).filter((id) => !used.has(id));
      const householdId = next() < 0.8 && candidates.length ? candidates[0] : null;
      if (householdId) used.add(householdId);
      const category = organization.categories[Math.floor(next() * organization.categories.length)];
      return { kind: "CREATED", village, category, householdId, claimer };
    }
  };
  while (events.length < count) {
    const first = create();
    events.push(first);
    if (events.length < count) events.push(create());
    if (events.length < count) events.push({ ...first, kind: "CLAIMED", of: first });
  }
  return events;
}

const CREATE = `mutation ($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id } }`;
const CLAIM = `mutation ($id: ID!) { claimServiceRequest(id: $id) { id } }`;

async function raise(port: number, adminToken: string, event: PlannedEvent, k: number): Promise<void> {
  event.sentAt = Date.now();
  if (event.kind === "CREATED") {
    const input = {
      allianceId: event.village.id,
      category: event.category,
      title: `fanout ${k}`,
      ...(event.householdId ? { householdId: event.householdId } : {}),
    };
    event.requestId = (await graphql<{ createServiceRequest: { id: string } }>(port, CREATE, { input }, adminToken)).createServiceRequest.id;
  } else {
    event.requestId = event.of!.requestId;
    await graphql(port, CLAIM, { id: event.requestId }, event.claimer.token);
  }
  event.answeredAt = Date.now();
  event.key = `${event.requestId}:${event.kind}`;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface PhaseResult {
  topology: "one instance" | "two instances + Redis";
  n: number;
  accounts: { ADMIN: number; COORDINATOR: number; PARTNER: number };
  opened: number;
  openFailures: string[];
  openSeconds: number;
  events: number;
  expected: number;
  delivered: number;
  missing: number;
  /** Some of the deliveries that did not arrive: who, with which filter, and which event. */
  missingSamples: string[];
  unexpected: number;
  duplicates: number;
  maskingErrors: number;
  /** Some deliveries masked when they should not have been, or the other way. */
  maskingSamples: string[];
  subscriptionErrors: string[];
  latencyMs: { p50: number; p99: number; max: number };
  /** The same for the subscribers of each instance. */
  latencyByInstanceMs: { deliveries: number; p50: number; p99: number; max: number }[];
  /** Each event's deliveries: how many, the median and the slowest. */
  latencyByEventMs: { kind: string; deliveries: number; p50: number; max: number }[];
  statementsPerEvent: number;
  statementsCounted: number;
  idleStatementsPerSecond: number;
  /** The statements of the measured window by their first 100 characters, most frequent first. */
  statements: [string, number][];
  /** The same over the idle window before it. */
  idleStatements: [string, number][];
  accessRecord: { expected: number; recorded: number };
  peakRssMb: number[];
  /** Each server's CPU profile over the measured window: where it is saved, and the functions with the most time of their own. */
  profiles: ProfileSummary[];
  /** The highest RSS sampled (every 500 ms) while the events flowed. */
  maxRssWhileEventsFlowMb: number[];
}

async function accessReads(db: pg.Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT coalesce(sum(count), 0)::text AS n FROM personal_data_access`);
  return Number(rows[0].n);
}

async function runPhase(context: {
  topology: "one" | "two";
  n: number;
  eventCount: number;
  seed: number;
  databaseUrl: string;
  redisUrl: string | null;
  db: pg.Client;
  world: World;
  accounts: BenchAccount[];
  adminToken: string;
  workers: ClientWorker[];
  /** Where to save the servers' CPU profiles of the measured window, if at all. */
  profileStem: string | null;
}): Promise<PhaseResult> {
  const { topology, n, db, world, accounts, workers } = context;
  const instances = topology === "one" ? 1 : 2;
  const label = topology === "one" ? "one instance" : "two instances + Redis";
  process.stdout.write(`\n${label}, N = ${n}\n`);
  const servers: ServerChild[] = [];
  try {
    for (let i = 0; i < instances; i += 1) {
      const env: Record<string, string> = context.redisUrl ? { REDIS_URL: context.redisUrl, REDIS_CHANNEL_PREFIX: `fanout-${context.seed}:` } : {};
      servers.push(await startServer(context.databaseUrl, env, context.profileStem !== null));
    }
    const list = subscribers(accounts, n, instances);
    const started = Date.now();
    const shares = workers.map((_, w) => list.filter((s) => s.index % workers.length === w));
    const opened = await Promise.all(
      workers.map((worker, w) =>
        worker.ask<"opened">({
          type: "open",
          query: SUBSCRIPTION,
          concurrency: OPEN_CONCURRENCY,
          subscribers: shares[w].map((s) => ({
            index: s.index,
            url: `ws://127.0.0.1:${servers[s.instance].port}/graphql`,
            token: s.account.token,
            variables: Object.keys(s.filter).length ? { filter: s.filter } : {},
          })),
        }),
      ),
    );
    const openSeconds = (Date.now() - started) / 1000;
    const ok = opened.reduce((sum, o) => sum + o.ok, 0);
    const openFailures = opened.flatMap((o) => o.failed);
    process.stdout.write(`  ${ok} sockets subscribed in ${openSeconds.toFixed(1)} s${openFailures.length ? `, ${openFailures.length} failed: ${openFailures.slice(0, 3).join("; ")}` : ""}\n`);
    await untilIdle(servers.map((s) => s.process.pid!), 30_000);

    // Households of earlier runs' requests may be claimed still (a ground to see them): fresh ones each time.
    world.households = await unrequestedHouseholds(db);
    const planned = planEvents(world, accounts, WARMUP_EVENTS + context.eventCount, context.seed);
    for (const [k, event] of planned.slice(0, WARMUP_EVENTS).entries()) {
      await raise(servers[0].port, context.adminToken, event, k);
      await sleep(1_000);
    }
    await sleep(1_500);

    const pids = servers.map((s) => s.process.pid!);
    const countStatements = () => servers.reduce((sum, s) => sum + s.counter.count(), 0);
    for (const server of servers) server.counter.reset();
    let at = performance.now();
    await sleep(IDLE_MS);
    const idlePerSecond = countStatements() / ((performance.now() - at) / 1000);
    const idleStatements = summariseStatements(servers);
    const readsBefore = await accessReads(db);
    for (const server of servers) server.counter.reset();
    const profilers = context.profileStem ? await Promise.all(servers.map(profiler)) : [];
    at = performance.now();

    const measured = planned.slice(WARMUP_EVENTS);
    const rss: number[][] = servers.map(() => []);
    const sampler = setInterval(() => pids.forEach((pid, i) => rss[i].push(procStatus(pid, "VmRSS"))), 500);
    const t0 = Date.now();
    const raised: Promise<void>[] = [];
    for (const [k, event] of measured.entries()) {
      await sleep(Math.max(0, t0 + k * 1000 - Date.now()));
      // A claim waits for the create it claims; events go out one a second whatever their answer time.
      const claimOf = event.of ? raised[measured.indexOf(event.of)] : undefined;
      raised.push((claimOf ?? Promise.resolve()).then(() => raise(servers[0].port, context.adminToken, event, WARMUP_EVENTS + k)));
    }
    await Promise.all(raised);
    // Until every expected delivery (warm-up ones included) has arrived, or none has for TAIL_MS.
    const expectedInAll = planned.reduce((sum, event) => sum + list.filter((s) => concerns(s, event)).length, 0);
    for (let last = -1, lastAt = Date.now(); Date.now() - lastAt < TAIL_MS; await sleep(250)) {
      const received = (await Promise.all(workers.map((worker) => worker.ask<"counted">({ type: "count" })))).reduce((sum, c) => sum + c.received, 0);
      if (received >= expectedInAll) break;
      if (received !== last) [last, lastAt] = [received, Date.now()];
    }
    await sleep(500);
    clearInterval(sampler);
    const counted = countStatements();
    const elapsedSeconds = (performance.now() - at) / 1000;
    const statements = summariseStatements(servers);
    const profiles: ProfileSummary[] = [];
    for (const [i, running] of profilers.entries()) {
      const profile = (await running.stop()) as CpuProfile;
      fs.mkdirSync(path.dirname(context.profileStem!), { recursive: true });
      const file = `${context.profileStem}-instance${i}.cpuprofile`;
      fs.writeFileSync(file, JSON.stringify(profile));
      profiles.push(summariseProfile(profile, path.relative(projectRoot, file)));
    }

    const collected = (await Promise.all(workers.map((worker) => worker.ask<"collected">({ type: "collect" })))).flatMap((c) => c.received);
    const peakRssMb = pids.map((pid) => procStatus(pid, "VmHWM"));
    await Promise.all(workers.map((worker) => worker.ask<"closed">({ type: "close" })));
    for (const server of servers.splice(0)) await stopServer(server);
    const recordedReads = (await accessReads(db)) - readsBefore;

    const byKey = new Map(measured.map((event) => [event.key!, event]));
    const bySubscriber = new Map(collected.map((r) => [r.index, r]));
    let expected = 0;
    let delivered = 0;
    let unexpected = 0;
    let duplicates = 0;
    let maskingErrors = 0;
    let unmaskedDeliveries = 0;
    const latencies: number[] = [];
    const errors: string[] = [];
    const missingSamples: string[] = [];
    const byInstance: number[][] = Array.from({ length: instances }, () => []);
    const byEvent = new Map<PlannedEvent, number[]>(measured.map((event) => [event, []]));
    const maskingSamples: string[] = [];
    for (const subscriber of list) {
      const record = bySubscriber.get(subscriber.index);
      const seen = new Map<string, number>();
      record?.keys.forEach((key, i) => {
        if (!seen.has(key)) seen.set(key, i);
        else if (byKey.has(key)) duplicates += 1;
      });
      for (const error of record?.errors ?? []) if (errors.length < 10) errors.push(`${subscriber.account.username}: ${error}`);
      for (const event of measured) {
        const wanted = concerns(subscriber, event);
        const at = seen.get(event.key!);
        if (wanted) expected += 1;
        if (at === undefined) {
          if (wanted && missingSamples.length < 20) {
            missingSamples.push(
              `#${subscriber.index} ${subscriber.account.username} ${JSON.stringify(subscriber.filter)} (received ${record?.keys.length ?? "nothing"}` +
                `${record?.closed ? `, closed ${record.closed}` : ""}) ← ${event.kind} ${event.category} in ${event.village.path}`,
            );
          }
          continue;
        }
        if (!wanted) {
          unexpected += 1;
          continue;
        }
        delivered += 1;
        latencies.push(record!.latencies[at]);
        byInstance[subscriber.instance].push(record!.latencies[at]);
        byEvent.get(event)!.push(record!.latencies[at]);
        const masked = record!.masked[at];
        if (masked !== -1) {
          if ((masked === 1) !== shouldBeMasked(subscriber, event)) {
            maskingErrors += 1;
            if (maskingSamples.length < 10) maskingSamples.push(`#${subscriber.index} ${subscriber.account.username} got ${masked ? "masked" : "unmasked"} ${event.kind} ${event.requestId}`);
          }
          if (masked === 0) unmaskedDeliveries += 1;
        }
      }
    }
    latencies.sort((a, b) => a - b);
    const statementsPerEvent = Math.round(((counted - idlePerSecond * elapsedSeconds) / measured.length) * 10) / 10;
    const result: PhaseResult = {
      topology: label,
      n,
      accounts: { ADMIN: ACCOUNTS_PER_ROLE, COORDINATOR: ACCOUNTS_PER_ROLE, PARTNER: ACCOUNTS_PER_ROLE },
      opened: ok,
      openFailures: openFailures.slice(0, 20),
      openSeconds,
      events: measured.length,
      expected,
      delivered,
      missing: expected - delivered,
      missingSamples,
      unexpected,
      duplicates,
      maskingErrors,
      maskingSamples,
      subscriptionErrors: errors,
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] ?? NaN },
      latencyByInstanceMs: byInstance.map((list) => {
        list.sort((a, b) => a - b);
        return { deliveries: list.length, p50: percentile(list, 50), p99: percentile(list, 99), max: list[list.length - 1] ?? NaN };
      }),
      latencyByEventMs: measured.map((event) => {
        const list = byEvent.get(event)!.sort((a, b) => a - b);
        return { kind: event.kind, deliveries: list.length, p50: percentile(list, 50), max: list[list.length - 1] ?? NaN };
      }),
      statementsPerEvent,
      statementsCounted: counted,
      idleStatementsPerSecond: Math.round(idlePerSecond * 100) / 100,
      statements,
      idleStatements,
      accessRecord: { expected: unmaskedDeliveries, recorded: recordedReads },
      peakRssMb,
      profiles,
      maxRssWhileEventsFlowMb: rss.map((samples) => Math.max(...samples.filter(Number.isFinite))),
    };
    process.stdout.write(
      `  delivered ${delivered}/${expected} (unexpected ${unexpected}, duplicates ${duplicates}, masking errors ${maskingErrors}), ` +
        `p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms, ` +
        `${statementsPerEvent} statements/event, peak RSS ${peakRssMb.join(" + ")} MB, access record ${recordedReads}/${unmaskedDeliveries}\n`,
    );
    return result;
  } finally {
    for (const server of servers) await stopServer(server).catch(() => undefined);
  }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

interface ProfileSummary {
  file: string;
  seconds: number;
  /** Share of the window the process was busy (not idle). */
  busy: number;
  /** Functions by the share of the busy time spent in them (not in what they call). */
  top: [string, number][];
}

function summariseProfile(profile: CpuProfile, file: string): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === "(idle)") {
      idle += delta;
      return;
    }
    const where = frame.url ? ` ${frame.url.replace(/^.*node_modules\//, "").replace(/^.*\/dist\//, "")}:${frame.lineNumber + 1}` : "";
    const name = `${frame.functionName || "(anonymous)"}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  });
  const busy = total - idle;
  return {
    file,
    seconds: Math.round(total / 1e4) / 100,
    busy: Math.round((busy / total) * 1000) / 1000,
    top: [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([name, time]) => [name, Math.round((time / busy) * 1000) / 1000]),
  };
}

/** The statements the servers' counters saw, by their first 100 characters, most frequent first. */
function summariseStatements(servers: ServerChild[]): [string, number][] {
  const byText = new Map<string, number>();
  for (const server of servers) {
    for (const [text, count] of server.counter.statements()) {
      const key = text.replace(/\s+/g, " ").trim().slice(0, 100);
      byText.set(key, (byText.get(key) ?? 0) + count);
    }
  }
  return [...byText].sort((a, b) => b[1] - a[1]).slice(0, 25);
}

async function ownRedis(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  for (let i = 0; i < 100; i += 1) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (up) return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill("SIGKILL") };
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error("redis-server did not start");
}

function markdown(results: PhaseResult[], header: string): string {
  const lines = [
    header,
    "",
    "| topology | N | events | deliveries/event | delivered/expected | unexpected, duplicates, masking errors | p50 ms | p99 ms | max ms | SQL statements/event | peak RSS MB | access-record reads recorded/expected |",
    "| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ...results.map(
      (r) =>
        `| ${r.topology} | ${r.n.toLocaleString("en")} | ${r.events} | ${Math.round(r.expected / r.events)} | ${r.delivered}/${r.expected} | ${r.unexpected}, ${r.duplicates}, ${r.maskingErrors} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.latencyMs.max} | ${r.statementsPerEvent} | ${r.peakRssMb.join(" + ")} | ${r.accessRecord.recorded}/${r.accessRecord.expected} |`,
    ),
  ];
  if (results.some((r) => r.profiles.length)) {
    lines.push(
      "",
      "CPU profiles of the measured window (busy: share of the window the server was not idle; then the functions with the most time of their own, as a share of the busy time):",
      "",
      "| topology | N | instance | busy | top self time |",
      "| --- | ---: | ---: | ---: | --- |",
      ...results.flatMap((r) =>
        r.profiles.map(
          (p, i) =>
            `| ${r.topology} | ${r.n.toLocaleString("en")} | ${i} | ${Math.round(p.busy * 100)} % | ${p.top
              .slice(0, 5)
              .map(([name, share]) => `${name.replace(/\|/g, "\\|")} ${Math.round(share * 100)} %`)
              .join("; ")} |`,
        ),
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Where --reuse keeps the database name and the accounts between development runs. */
const REUSE_FILE = path.join(projectRoot, "node_modules/.cache/zhulian-bench-fanout.json");

interface Prepared {
  databaseName: string;
  databaseUrl: string;
  demoPartnerOrganizationId: string;
  accounts: BenchAccount[];
  adminToken: string;
}

/** A scratch database with the demo dataset and the bench's accounts, signed in. */
async function prepare(): Promise<Prepared & { drop(): Promise<void> }> {
  const database = await createScratchDatabase(BASE_URL, "zl_bench_fanout");
  try {
    process.stdout.write(`Loading the demo dataset into ${database.name}…\n`);
    const demoPartnerOrganizationId = (await loadDemoDatabase(database.url, JWT_SECRET)).wenlingPartnerOrganizationId;
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const world = await readWorld(db, demoPartnerOrganizationId).finally(() => db.end());
    process.stdout.write(`Creating and signing in ${ACCOUNTS_PER_ROLE} accounts of each role through the API…\n`);
    const setup = await startServer(database.url, {}, false);
    try {
      const demoAdmin = DEMO_ACCOUNTS.find((a) => a.username === "demo-admin")!;
      const adminToken = (
        await graphql<{ login: { token: string } }>(setup.port, `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`, {
          u: demoAdmin.username,
          p: demoAdmin.password,
        })
      ).login.token;
      const started = Date.now();
      const accounts = await createAccounts(setup.port, adminToken, world);
      process.stdout.write(`  ${accounts.length} accounts in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      return { databaseName: database.name, databaseUrl: database.url, demoPartnerOrganizationId, accounts, adminToken, drop: database.drop };
    } finally {
      await stopServer(setup);
    }
  } catch (error) {
    await database.drop();
    throw error;
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const loadAverage = os.loadavg()[0];
  const date = new Date().toISOString();
  const stem = path.join(projectRoot, "bench/results", `fanout-${date.replace(/[:.]/g, "-")}`);
  let prepared: Prepared & { drop(): Promise<void> };
  const kept = options.reuse && fs.existsSync(REUSE_FILE) ? (JSON.parse(fs.readFileSync(REUSE_FILE, "utf8")) as Prepared) : null;
  if (kept) {
    process.stdout.write(`Reusing ${kept.databaseName} and its accounts (--reuse)\n`);
    prepared = { ...kept, drop: async () => undefined };
  } else {
    prepared = await prepare();
    if (options.reuse) {
      const { drop: _drop, ...keep } = prepared;
      fs.writeFileSync(REUSE_FILE, JSON.stringify(keep));
      prepared = { ...prepared, drop: async () => undefined };
    }
  }
  const db = new pg.Client({ connectionString: prepared.databaseUrl });
  const workers = Array.from({ length: WORKERS }, () => new ClientWorker());
  let redis: { url: string; stop(): void } | null = null;
  const results: PhaseResult[] = [];
  try {
    await db.connect();
    const world = await readWorld(db, prepared.demoPartnerOrganizationId);
    if (options.topologies.includes("two")) redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop: () => undefined } : await ownRedis();
    let seed = Date.now() % 100_000;
    for (const topology of options.topologies) {
      for (const n of options.ns) {
        results.push(
          await runPhase({
            topology,
            n,
            eventCount: options.events,
            seed: seed++,
            databaseUrl: prepared.databaseUrl,
            redisUrl: topology === "two" ? redis!.url : null,
            db,
            world,
            accounts: prepared.accounts,
            adminToken: prepared.adminToken,
            workers,
            profileStem: options.cpuProf ? `${stem}-profiles/${topology}-${n}` : null,
          }),
        );
      }
    }

    const header =
      `Live subscribers, ${date}: demo dataset on PostgreSQL, ${os.cpus().length} CPUs shared by the server(s), PostgreSQL and the bench's clients ` +
      `(load average ${loadAverage.toFixed(1)} at the start), Node ${process.version}. ${ACCOUNTS_PER_ROLE} accounts of each role ` +
      `(coordinators of the city, 9 counties, townships and villages; partners of ${world.organizations.length} organizations), ` +
      `one subscription a socket, a sixth filtered by alliance, a sixth by category, a sixth by kind; ${options.events} events at one a second ` +
      `(createServiceRequest in villages, 80 % with a household, and claims by partners). Latency: receipt in the client − the event's occurredAt. ` +
      `SQL statements/event: Query + Execute messages from the server instances to PostgreSQL (bench/lib/statement-counter) from the first event ` +
      `until the last delivery, less the idle rate (token sweep, event-log poll), per event, the mutation's own statements included. ` +
      `Peak RSS: VmHWM of each server process. Server children run with WS_MAX_SOCKETS_PER_ACCOUNT=${WS_MAX_SOCKETS_PER_ACCOUNT} ` +
      `(the default 10 would refuse the ~34 sockets an account has at N = 10,000); login limits count failures only and are left as they are.`;
    const table = markdown(results, header);
    process.stdout.write(`\n${table}`);
    fs.mkdirSync(path.dirname(stem), { recursive: true });
    fs.writeFileSync(
      `${stem}.json`,
      `${JSON.stringify({ benchmark: "fanout", date, node: process.version, cpus: os.cpus().length, loadAverage, options, subscription: SUBSCRIPTION, results }, null, 2)}\n`,
    );
    fs.writeFileSync(`${stem}.md`, table);
    process.stdout.write(`\nSaved ${path.relative(projectRoot, stem)}.json and .md${options.cpuProf ? ` (CPU profiles in ${path.relative(projectRoot, stem)}-profiles/)` : ""}\n`);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
    redis?.stop();
    await db.end().catch(() => undefined);
    await prepared.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
