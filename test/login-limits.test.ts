import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { createClient, type Client } from "graphql-ws";
import pino from "pino";
import WebSocket from "ws";
import { startSecondInstance, startTestServer, stopAll, type TestServer } from "./helpers/server";

type Started = Awaited<ReturnType<typeof startTestServer>>;

const LOGIN = `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`;
const PASSWORD = "a-fine-password-1";

/** A pino logger at warn whose records land in `records`. */
function capturingLogger(records: Record<string, any>[]) {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) records.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level: "warn" }, sink);
}

/** A login over HTTP, optionally with an X-Forwarded-For header; the first error's code, or "OK". */
async function login(server: TestServer, username: string, password: string, forwardedFor?: string) {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) },
    body: JSON.stringify({ query: LOGIN, variables: { u: username, p: password } }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, any> }[] };
  const error = body.errors?.[0];
  return { code: error ? (error.extensions?.code as string) : "OK", error, data: body.data };
}

/** Creates an ADMIN-made COORDINATOR account on `server` (role does not matter here) and returns its id and username. */
async function newAccount(server: TestServer, allianceId: string) {
  const username = `limited-${randomBytes(4).toString("hex")}`;
  const data = await server.admin.query(
    `mutation ($input: CreateAccountInput!) { createAccount(input: $input) { id } }`,
    { input: { username, password: PASSWORD, role: "COORDINATOR", allianceId } },
  );
  return { id: data.createAccount.id as string, username };
}

async function cityOf(server: TestServer): Promise<string> {
  const data = await server.admin.query(`mutation { createAlliance(input: { name: "台州市", level: CITY, regionCode: "331000" }) { id } }`);
  return data.createAlliance.id;
}

describe("per username", () => {
  let server: Started;
  let city: string;
  const log: Record<string, any>[] = [];
  beforeAll(async () => {
    server = await startTestServer({ logger: capturingLogger(log) });
    city = await cityOf(server);
  });
  afterAll(() => stopAll(server));

  test("after the 10th failed login even the right password is RATE_LIMITED, until an ADMIN reactivates the account", async () => {
    const account = await newAccount(server, city);
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      expect((await login(server, account.username, `wrong-password-${attempt}`)).code).toBe("UNAUTHENTICATED");
    }
    const limited = await login(server, account.username, PASSWORD);
    expect(limited.code).toBe("RATE_LIMITED");
    expect(limited.data ?? null).toBeNull();
    expect(limited.error?.message).toMatch(/try again in 1[45] minutes/);
    expect(limited.error?.extensions?.retryAfterSeconds).toBeGreaterThan(800);
    expect(limited.error?.extensions?.retryAfterSeconds).toBeLessThanOrEqual(900);
    expect((await login(server, account.username, "wrong-again")).code).toBe("RATE_LIMITED");

    const other = await newAccount(server, city);
    expect((await login(server, other.username, PASSWORD)).code).toBe("OK");

    const failures = log.filter((record) => record.msg === "failed login" && record.username === account.username);
    expect(failures).toHaveLength(10);
    expect(failures.at(-1)).toMatchObject({ level: 40, clientAddress: expect.any(String), usernameFailures: 10 });
    expect(JSON.stringify(log)).not.toContain("wrong-password-");
    expect(JSON.stringify(log)).not.toContain(PASSWORD);

    await server.admin.query(`mutation ($id: ID!) { reactivateAccount(id: $id) { id } }`, { id: account.id });
    expect((await login(server, account.username, PASSWORD)).code).toBe("OK");
  });

  test("a successful login does not count; wrong current passwords in changePassword do", async () => {
    const account = await newAccount(server, city);
    for (let attempt = 1; attempt <= 9; attempt += 1) {
      expect((await login(server, account.username, `wrong-${attempt}`)).code).toBe("UNAUTHENTICATED");
    }
    const signedIn = await login(server, account.username, PASSWORD);
    expect(signedIn.code).toBe("OK");
    const token = (signedIn.data as { login: { token: string } }).login.token;
    const change = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation { changePassword(currentPassword: "not-it-at-all", newPassword: "a-strong-new-password") }`,
      }),
    });
    expect(((await change.json()) as any).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect((await login(server, account.username, PASSWORD)).code).toBe("RATE_LIMITED");
  });
});

describe("per address", () => {
  let proxied: Started;
  let proxiedCity: string;
  let direct: Started;
  beforeAll(async () => {
    const env = { LOGIN_MAX_FAILURES_PER_ADDRESS: "5" };
    proxied = await startTestServer({ env: { ...env, TRUST_PROXY: "true" } });
    proxiedCity = await cityOf(proxied);
    direct = await startTestServer({ env });
  });
  afterAll(async () => {
    await stopAll(proxied);
    await stopAll(direct);
  });

  test("with TRUST_PROXY, X-Forwarded-For names the address: 5 failures from one address block it, others sign in", async () => {
    const account = await newAccount(proxied, proxiedCity);
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect((await login(proxied, `nobody-${attempt}`, "wrong-password", "203.0.113.7")).code).toBe("UNAUTHENTICATED");
    }
    const blocked = await login(proxied, account.username, PASSWORD, "203.0.113.7");
    expect(blocked.code).toBe("RATE_LIMITED");
    expect(blocked.error?.message).toMatch(/from this address/);
    expect((await login(proxied, account.username, PASSWORD, "203.0.113.8")).code).toBe("OK");
  });

  test("with TRUST_PROXY, a WebSocket's address is its X-Forwarded-For too: changePassword failures block that address only", async () => {
    const account = await newAccount(proxied, proxiedCity);
    const signedIn = await login(proxied, account.username, PASSWORD, "203.0.113.20");
    const token = (signedIn.data as { login: { token: string } }).login.token;
    /** A socket opened through a proxy that names `address` as the client. */
    const socketFrom = (address: string) =>
      createClient({
        url: proxied.wsUrl,
        webSocketImpl: class extends WebSocket {
          constructor(url: string, protocols?: string | string[]) {
            super(url, protocols, { headers: { "x-forwarded-for": address } });
          }
        },
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
        lazy: true,
      });
    const changeOver = (client: Client, current: string) =>
      new Promise<string>((resolve) => {
        client.subscribe<unknown>(
          { query: `mutation ($c: String!) { changePassword(currentPassword: $c, newPassword: "a-stronger-new-password") }`, variables: { c: current } },
          { next: (result) => resolve((result.errors?.[0]?.extensions?.code as string | undefined) ?? "OK"), error: (error) => resolve(`failed: ${String(error)}`), complete: () => undefined },
        );
      });
    const blockedSocket = socketFrom("203.0.113.21");
    const otherSocket = socketFrom("203.0.113.22");
    try {
      for (let attempt = 1; attempt <= 5; attempt += 1) expect(await changeOver(blockedSocket, `wrong-${attempt}`)).toBe("UNAUTHENTICATED");
      expect(await changeOver(blockedSocket, PASSWORD)).toBe("RATE_LIMITED");
      // Another client behind the same proxy is not blocked (before, every socket counted as the proxy's address).
      expect(await changeOver(otherSocket, PASSWORD)).toBe("OK");
    } finally {
      await Promise.all([blockedSocket.dispose(), otherSocket.dispose()]);
    }
  });

  test("without TRUST_PROXY, X-Forwarded-For is ignored: the socket's address is counted", async () => {
    const city = await cityOf(direct);
    const account = await newAccount(direct, city);
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect((await login(direct, `nobody-${attempt}`, "wrong-password", `198.51.100.${attempt}`)).code).toBe("UNAUTHENTICATED");
    }
    expect((await login(direct, account.username, PASSWORD, "198.51.100.99")).code).toBe("RATE_LIMITED");
  });
});

describe("where the counters live", () => {
  const redis = process.env.REDIS_URL ? test : test.skip;

  redis("with Redis, the limit is shared by every instance", async () => {
    const first = await startTestServer();
    const second = await startSecondInstance(first);
    try {
      const account = await newAccount(first, await cityOf(first));
      for (let attempt = 1; attempt <= 10; attempt += 1) {
        const instance = attempt % 2 ? first : second;
        expect((await login(instance, account.username, `wrong-${attempt}`)).code).toBe("UNAUTHENTICATED");
      }
      expect((await login(first, account.username, PASSWORD)).code).toBe("RATE_LIMITED");
      expect((await login(second, account.username, PASSWORD)).code).toBe("RATE_LIMITED");
    } finally {
      await stopAll(first, second);
    }
  });

  test("with Redis unreachable the limit still holds, per instance, and a warning says so once", async () => {
    const log: Record<string, any>[] = [];
    const server = await startTestServer({ env: { REDIS_URL: "redis://127.0.0.1:1" }, logger: capturingLogger(log) });
    try {
      const account = await newAccount(server, await cityOf(server));
      for (let attempt = 1; attempt <= 10; attempt += 1) {
        expect((await login(server, account.username, `wrong-${attempt}`)).code).toBe("UNAUTHENTICATED");
      }
      expect((await login(server, account.username, PASSWORD)).code).toBe("RATE_LIMITED");
      const warnings = log.filter((record) => String(record.msg).startsWith("login limits: Redis cannot be reached"));
      expect(warnings).toHaveLength(1);
    } finally {
      await stopAll(server);
    }
  });
});
