import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient } from "graphql-ws";
import pg from "pg";
import WebSocket from "ws";
import { ensureBuild } from "./helpers/build";
import { createTaizhouTree } from "./helpers/factories";
import type { GraphQLClient, Subscription } from "./helpers/graphql";
import { startServerProcess, type ServerProcess } from "./helpers/process";
import { freePort, missingServiceTools, PostgresCluster, RedisServer, SilenceableProxy } from "./helpers/services";

/**
 * Faults, against the real server running as processes of its own: Redis and PostgreSQL going
 * away, a SIGTERM in the middle of a burst, a SIGKILL right after commits, clients that resume.
 * The server-mode part starts its own PostgreSQL cluster and redis-server on free ports (it runs
 * in the suite's server-mode pass); the embedded part runs in the embedded pass.
 */
const missing = missingServiceTools();
const serverPass = Boolean(process.env.DATABASE_URL);
if (missing) process.stdout.write(`faults.test.ts: SKIPPED: ${missing}\n`);

jest.setTimeout(180_000);

const CREATE = `mutation ($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id } }`;
const EVENTS = `subscription ($after: String) { serviceRequestEvents(after: $after) { id kind request { id title } } }`;

interface EventData {
  serviceRequestEvents: { id: string; kind: string; request: { id: string; title: string } };
}

async function collect(subscription: Subscription<EventData>, count: number, timeoutMs: number): Promise<EventData["serviceRequestEvents"][]> {
  const events: EventData["serviceRequestEvents"][] = [];
  const deadline = Date.now() + timeoutMs;
  while (events.length < count) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`got ${events.length} of ${count} events within ${timeoutMs} ms`);
    const message = await subscription.next(left).catch((error: Error) => {
      throw new Error(`got ${events.length} of ${count} events (${error.message}): ${events.map((e) => `${e.id}:${e.request.title}`).join(", ")}`);
    });
    if (message.errors) throw new Error(`subscription error: ${JSON.stringify(message.errors)}`);
    events.push(message.data!.serviceRequestEvents);
  }
  return events;
}

function expectIncreasingUniqueIds(events: { id: string }[]): void {
  const ids = events.map((event) => BigInt(event.id));
  for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
}

/**
 * Sends 100 mutations at once and SIGTERMs the server as soon as 5 have answered, while the
 * rest are in flight; each promise settles with the answer, or null when the request failed.
 */
async function burstThenSigterm<T>(server: ServerProcess, send: (i: number) => Promise<T>): Promise<Promise<T | null>[]> {
  let answered = 0;
  let signal: () => void = () => undefined;
  const fiveAnswered = new Promise<void>((resolve) => (signal = resolve));
  const burst = Array.from({ length: 100 }, (_, i) =>
    send(i)
      .then((answer) => {
        answered += 1;
        if (answered === 5) signal();
        return answer;
      })
      .catch(() => null),
  );
  await fiveAnswered;
  server.child.kill("SIGTERM");
  return burst;
}

async function healthz(server: ServerProcess): Promise<number> {
  return (await fetch(`${server.base}/healthz`)).status;
}

async function readyz(server: ServerProcess): Promise<{ status: number; body: Record<string, unknown> }> {
  try {
    const response = await fetch(`${server.base}/readyz`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch (error) {
    // Say whether the server went away, with what it last wrote, rather than only "fetch failed".
    throw new Error(`GET /readyz failed (${(error as Error).message}; server alive: ${server.alive()}); its last output:\n${server.output().slice(-3000)}`, { cause: error });
  }
}

(missing || !serverPass ? describe.skip : describe)("server mode: PostgreSQL and Redis of the test's own", () => {
  let entry: string;
  let postgres: PostgresCluster;
  let redis: RedisServer;
  let databaseUrl: string;
  const processes: ServerProcess[] = [];

  const start = async (env: Record<string, string> = {}) => {
    const server = await startServerProcess(entry, {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      REDIS_CHANNEL_PREFIX: "faults:",
      ...env,
    });
    processes.push(server);
    return server;
  };

  let village: string;
  const request = (title: string) => ({ input: { allianceId: village, category: "ELDERLY_CARE", title } });

  beforeAll(async () => {
    entry = ensureBuild();
    [postgres, redis] = await Promise.all([PostgresCluster.create(), RedisServer.create()]);
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query("CREATE DATABASE zhulian");
    await admin.end();
    databaseUrl = postgres.url.replace(/\/postgres$/, "/zhulian");
    const first = await start();
    const tree = await createTaizhouTree(await first.admin());
    village = tree.taipingA.id;
    await first.stop();
  });

  afterAll(async () => {
    for (const server of processes) if (server.alive()) await server.stop(2_000);
    await redis?.stop();
    postgres?.destroy();
  });

  test("Redis stopped while 50 mutations run on two instances: all answer, and every subscriber gets every event once, in order", async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const [adminA, adminB] = await Promise.all([a.admin(), b.admin()]);
    const subscribers = [adminA.subscribe<EventData>(EVENTS), adminA.subscribe<EventData>(EVENTS), adminB.subscribe<EventData>(EVENTS)];
    await Promise.all(subscribers.map((s) => s.ready()));

    await redis.stop();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? adminA : adminB).raw(CREATE, request(`停电期间的需求 ${i}`))),
    );
    expect(answers.filter((answer) => answer.errors)).toEqual([]);
    const created = new Set(answers.map((answer) => answer.data!.createServiceRequest.id as string));
    expect(created.size).toBe(50);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(a.alive() && b.alive()).toBe(true);
    expect((await readyz(a)).body.pubsub).toBe(false);
    expect((await readyz(a)).status).toBe(200);
    await redis.start();

    for (const subscriber of subscribers) {
      const events = await collect(subscriber, 50, 20_000);
      expect(new Set(events.map((event) => event.request.id))).toEqual(created);
      expectIncreasingUniqueIds(events);
      expect(await subscriber.drain(500)).toEqual([]);
      await subscriber.close();
    }
    expect(await healthz(a)).toBe(200);
    expect(await healthz(b)).toBe(200);
    await Promise.all([a.stop(), b.stop()]);
  });

  test("a subscriber that missed 20 events resumes with `after`: exactly those 20 in order, then live ones, on either instance and after a restart", async () => {
    let a = await start();
    const b = await start();
    let adminA = await a.admin();
    const adminB = await b.admin();
    const first = adminA.subscribe<EventData>(EVENTS);
    await first.ready();
    await adminA.query(CREATE, request("断线之前"));
    const [seen] = await collect(first, 1, 10_000);
    await first.close();

    const missed: string[] = [];
    for (let i = 0; i < 20; i++) missed.push((await adminB.query(CREATE, request(`断线期间 ${i}`))).createServiceRequest.id);

    const check = async (client: GraphQLClient) => {
      const resumed = client.subscribe<EventData>(EVENTS, { after: seen.id });
      const replayed = await collect(resumed, missed.length, 15_000);
      expect(replayed.map((event) => event.request.id)).toEqual(missed);
      expectIncreasingUniqueIds([seen, ...replayed]);
      const live = (await client.query(CREATE, request("恢复之后"))).createServiceRequest.id;
      const [next] = await collect(resumed, 1, 10_000);
      expect(next.request.id).toBe(live);
      expect(BigInt(next.id) > BigInt(replayed[replayed.length - 1].id)).toBe(true);
      expect(await resumed.drain(300)).toEqual([]);
      await resumed.close();
      return live;
    };
    const liveOnA = await check(adminA);
    missed.push(liveOnA);
    const liveOnB = await check(adminB);
    missed.push(liveOnB);

    expect(await a.stop()).toBe(0);
    a = await start();
    adminA = await a.admin();
    const afterRestart = adminA.subscribe<EventData>(EVENTS, { after: seen.id });
    const replayed = await collect(afterRestart, 22, 15_000);
    expect(replayed.map((event) => event.request.id)).toEqual(missed);
    await afterRestart.close();

    // Events up to some id were pruned: resuming before it is refused, naming the oldest available.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query("UPDATE event_outbox_horizon SET through = $1", [String(BigInt(seen.id) + 5n)]);
    try {
      const tooOld = adminA.subscribe<EventData>(EVENTS, { after: seen.id });
      const refused = await tooOld.next(5_000);
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after", oldestAvailableAfter: String(BigInt(seen.id) + 5n) });
      await tooOld.close();
    } finally {
      await db.query("UPDATE event_outbox_horizon SET through = 0");
      await db.end();
    }
    await Promise.all([a.stop(), b.stop()]);
  });

  test("the README's client resumes by itself: graphql-ws resends the latest `after` when it reconnects to a restarted server", async () => {
    const port = String(await freePort());
    let a = await start({ PORT: port });
    const b = await start();
    const token = (await a.admin()).token!;
    const adminB = await b.admin();
    const received: EventData["serviceRequestEvents"][] = [];
    const client = createClient({
      url: a.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: Infinity,
      shouldRetry: () => true,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 300)),
    });
    const variables: { after: string | null } = { after: null };
    const dispose = client.subscribe<EventData>(
      { query: EVENTS, variables },
      {
        next: ({ data }) => {
          received.push(data!.serviceRequestEvents);
          variables.after = data!.serviceRequestEvents.id;
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    const waitFor = async (count: number) => {
      const deadline = Date.now() + 15_000;
      while (received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(received.length).toBeGreaterThanOrEqual(count);
    };
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = [];
    for (let i = 0; i < 3; i++) before.push((await adminB.query(CREATE, request(`重连之前 ${i}`))).createServiceRequest.id);
    await waitFor(3);

    expect(await a.stop()).toBe(0);
    const whileDown = [];
    for (let i = 0; i < 5; i++) whileDown.push((await adminB.query(CREATE, request(`服务器重启期间 ${i}`))).createServiceRequest.id);
    a = await start({ PORT: port });
    await waitFor(8);
    const live = (await adminB.query(CREATE, request("重连之后"))).createServiceRequest.id;
    await waitFor(9);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.map((event) => event.request.id)).toEqual([...before, ...whileDown, live]);
    expectIncreasingUniqueIds(received);
    dispose();
    await client.dispose();
    await Promise.all([a.stop(), b.stop()]);
  });

  test("PostgreSQL stopped, then silent: SERVICE_UNAVAILABLE within bounds, /readyz 503, and the same process serves again when it is back", async () => {
    const proxy = await SilenceableProxy.create(postgres.port);
    const viaProxy = databaseUrl.replace(`:${postgres.port}/`, `:${proxy.port}/`);
    const server = await startServerProcess(entry, {
      DATABASE_URL: viaProxy,
      REDIS_URL: redis.url,
      REDIS_CHANNEL_PREFIX: "faults:",
      DATABASE_CONNECT_TIMEOUT: "3s",
    });
    processes.push(server);
    const admin = await server.admin();
    const QUERY = `{ alliances(first: 1) { totalCount } }`;
    expect((await admin.query(QUERY)).alliances.totalCount).toBeGreaterThan(0);
    try {

      postgres.stop();
      let started = Date.now();
      const down = await admin.raw(QUERY);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(down.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
      const mutation = await admin.raw(CREATE, request("数据库停机时"));
      expect(mutation.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
      expect((await readyz(server)).status).toBe(503);
      expect(await healthz(server)).toBe(200);

      await postgres.start();
      const deadline = Date.now() + 15_000;
      let back = await admin.raw(QUERY);
      while (back.errors && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        back = await admin.raw(QUERY);
      }
      expect(back.errors).toBeUndefined();
      expect((await admin.raw(CREATE, request("数据库恢复后"))).errors).toBeUndefined();
      expect((await readyz(server)).status).toBe(200);

      proxy.silence();
      started = Date.now();
      const silent = await admin.raw(QUERY);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(silent.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
      expect((await readyz(server)).status).toBe(503);
      proxy.restore();
      const again = Date.now() + 15_000;
      let answered = await admin.raw(QUERY);
      while (answered.errors && Date.now() < again) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        answered = await admin.raw(QUERY);
      }
      expect(answered.errors).toBeUndefined();
      expect(server.alive()).toBe(true);
    } catch (error) {
      // Say whether the server went away, with what it last wrote, rather than only "fetch failed".
      throw new Error(`${(error as Error).message} (server alive: ${server.alive()}); its last output:\n${server.output().slice(-4000)}`, { cause: error });
    }
    expect(server.output()).not.toMatch(/uncaught|unhandled/i);
    // Each such answer left a warn line saying why, for whoever reads the log.
    expect(server.output()).toMatch(/"level":40[^\n]*"msg":"database unavailable"/);
    await server.stop();
    await proxy.close();
  });

  test("SIGTERM during a burst of 100 mutations: what answered is stored whole, and the process exits 0 within the grace period", async () => {
    const server = await start({ SHUTDOWN_GRACE: "10s" });
    const admin = await server.admin();
    const prefix = `停机压测 ${Date.now().toString(36)}`;
    const burst = await burstThenSigterm(server, (i) => admin.raw(CREATE, request(`${prefix} ${i}`)));
    const signalled = Date.now();
    const code = await server.exited;
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(12_000);
    const answers = await Promise.all(burst);
    const answered = answers.filter((answer) => answer?.data?.createServiceRequest).map((answer) => answer!.data!.createServiceRequest.id as string);
    const failed = answers.find((answer) => answer?.errors)?.errors;
    // The server's log says why (a warn line names the database's error), should one fail.
    if (failed) throw new Error(`an answered mutation failed: ${JSON.stringify(failed)}; the server's last output:\n${server.output().slice(-4000)}`);
    expect(answered.length).toBeGreaterThanOrEqual(5);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ id: string; audited: boolean; evented: boolean }>(
      `SELECT r.id::text AS id,
              EXISTS (SELECT 1 FROM audit_log l WHERE l.result_id = r.id::text) AS audited,
              EXISTS (SELECT 1 FROM event_outbox e WHERE e.payload->>'requestId' = r.id::text) AS evented
         FROM service_request r WHERE r.title LIKE $1`,
      [`${prefix}%`],
    );
    await db.end();
    const stored = new Set(rows.map((row) => row.id));
    for (const id of answered) expect(stored.has(id)).toBe(true);
    expect(rows.filter((row) => !row.audited || !row.evented)).toEqual([]);
  });

  test("SIGKILL right after commits nobody was told of: the events reach subscribers once the instance is back", async () => {
    const quiet = await start({ ZHULIAN_TEST_HOLD_EVENT_SIGNALS: "true" });
    const listening = await start({ EVENT_POLL_INTERVAL: "60000" });
    const subscriber = (await listening.admin()).subscribe<EventData>(EVENTS);
    await subscriber.ready();
    const admin = await quiet.admin();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await admin.query(CREATE, request(`被杀之前 ${i}`))).createServiceRequest.id);
    quiet.child.kill("SIGKILL");
    await quiet.exited;
    expect(await subscriber.drain(1_000)).toEqual([]);

    await start();
    const events = await collect(subscriber, 3, 15_000);
    expect(events.map((event) => event.request.id)).toEqual(ids);
    await subscriber.close();
    await listening.stop();
  });
});

(missing || serverPass ? describe.skip : describe)("embedded mode: PGlite in a data folder", () => {
  test("SIGTERM during a burst of 100 mutations: what answered is stored, the process exits 0, and the folder opens again", async () => {
    const entry = ensureBuild();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-faults-"));
    try {
      const env = { DATA_DIR: dataDir, SHUTDOWN_GRACE: "10s" };
      const server = await startServerProcess(entry, env);
      const admin = await server.admin();
      const tree = await createTaizhouTree(admin);
      const prefix = `停机压测 ${Date.now().toString(36)}`;
      const burst = await burstThenSigterm(server, (i) =>
        admin.raw(CREATE, { input: { allianceId: tree.taipingA.id, category: "ELDERLY_CARE", title: `${prefix} ${i}` } }),
      );
      const signalled = Date.now();
      expect(await server.exited).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(12_000);
      const answered = (await Promise.all(burst)).filter((answer) => answer?.data?.createServiceRequest).map((answer) => answer!.data!.createServiceRequest.id as string);
      expect(answered.length).toBeGreaterThanOrEqual(5);

      const again = await startServerProcess(entry, env);
      const { serviceRequests } = await (await again.admin()).query(`{ serviceRequests(first: 100) { totalCount nodes { id title } } }`);
      const stored = new Set(serviceRequests.nodes.map((node: { id: string }) => node.id));
      for (const id of answered) expect(stored.has(id)).toBe(true);
      expect(await again.stop()).toBe(0);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
