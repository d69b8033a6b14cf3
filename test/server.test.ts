import { Writable } from "node:stream";
import jwt from "jsonwebtoken";
import pino from "pino";
import WebSocket from "ws";
import { coordinatorOf, createTaizhouTree } from "./helpers/factories";
import { startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;

/** What the server logs at level error, one parsed JSON record per line. */
const errorLog: Record<string, any>[] = [];
const logSink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split("\n").filter(Boolean)) errorLog.push(JSON.parse(line));
    done();
  },
});

beforeAll(async () => {
  server = await startTestServer({ logger: pino({ level: "error" }, logSink) });
  tree = await createTaizhouTree(server.admin);
});
afterAll(() => stopAll(server));

const base = () => server.url.replace(/\/graphql$/, "");

/** POSTs a GraphQL request and returns the HTTP status with the body. */
async function post(query: string, variables: Record<string, unknown> = {}, token = server.admin.token) {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

describe("health", () => {
  test("GET /healthz answers 200 {status: ok}", async () => {
    const response = await fetch(`${base()}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  test("GET /readyz answers 200 once the database is migrated", async () => {
    const response = await fetch(`${base()}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready", ready: true, database: true, migrations: true, pubsub: true });
  });

  test("every response carries a request id, the caller's when it sends one", async () => {
    const response = await fetch(`${base()}/healthz`, { headers: { "x-request-id": "trace-me-123" } });
    expect(response.headers.get("x-request-id")).toBe("trace-me-123");
    const { headers } = await post(`{ me { id } }`);
    expect(headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("query complexity", () => {
  const DEEP = `{
    alliances(first: 100) { nodes {
      children(first: 100) { nodes {
        children(first: 100) { nodes {
          children(first: 100) { nodes { members(first: 100) { nodes { id name } } } } } } } } } }
  }`;

  test("a deeply nested query with first: 100 at each level is QUERY_TOO_COMPLEX before anything runs", async () => {
    const before = server.statements();
    const { status, body } = await post(DEEP);
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions).toEqual({ code: "QUERY_TOO_COMPLEX", limit: 250000, complexity: expect.any(Number) });
    expect(body.errors[0].extensions.complexity).toBeGreaterThan(250000);
    expect(body.errors[0].message).toMatch(/smaller pages/);
    expect(status).toBe(400);
    // The token is checked without SQL, and no resolver ran.
    expect(server.statements()).toBe(before);
  });

  test("the same shape with small pages runs", async () => {
    const small = DEEP.replace(/first: 100/g, "first: 5");
    const { status, body } = await post(small);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.alliances.nodes.length).toBeGreaterThan(0);
  });

  test("is checked on WebSocket operations too", async () => {
    const client = server.admin.ws();
    try {
      const error = await new Promise<unknown>((resolve, reject) => {
        client.subscribe({ query: DEEP }, { next: () => reject(new Error("got data")), error: resolve, complete: () => reject(new Error("completed")) });
      });
      expect(error).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "QUERY_TOO_COMPLEX" }) })]);
      expect(JSON.stringify(error)).not.toContain("http");
    } finally {
      await client.dispose();
    }
  });
});

/** Runs one operation over WebSocket as the ADMIN and returns its errors (or fails on data). */
async function wsErrors(query: string, variables: Record<string, unknown> = {}): Promise<any[]> {
  const client = server.admin.ws();
  try {
    return await new Promise<any[]>((resolve, reject) => {
      client.subscribe(
        { query, variables },
        {
          next: (result) => (result.errors ? resolve(result.errors as any[]) : reject(new Error(`got data ${JSON.stringify(result.data)}`))),
          error: (error) => (Array.isArray(error) ? resolve(error) : reject(error)),
          complete: () => undefined,
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe("errors over WebSocket carry the same codes as over HTTP", () => {
  test("a query the schema does not know, or that does not parse, is BAD_USER_INPUT", async () => {
    const [unknown] = await wsErrors(`{ alliances { nodes { noSuchField } } }`);
    expect(unknown.extensions.code).toBe("BAD_USER_INPUT");
    expect(unknown.message).toContain("noSuchField");
    const [syntax] = await wsErrors(`{ alliances { `);
    expect(syntax.extensions.code).toBe("BAD_USER_INPUT");
  });

  test("a variable of the wrong type is BAD_USER_INPUT", async () => {
    const [error] = await wsErrors(`query ($level: AllianceLevel) { alliances(level: $level) { totalCount } }`, { level: "PROVINCE" });
    expect(error.extensions.code).toBe("BAD_USER_INPUT");
    expect(error.message).toContain("PROVINCE");
  });

  test("a service's error keeps its code and field", async () => {
    const [error] = await wsErrors(`{ alliances(first: 101) { totalCount } }`);
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
  });
});

describe("errors", () => {
  test("a query the schema does not know is BAD_USER_INPUT", async () => {
    const { body } = await post(`{ alliances { nodes { noSuchField } } }`);
    expect(body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(body.errors[0].message).toContain("noSuchField");
  });

  test("a variable of the wrong type is BAD_USER_INPUT", async () => {
    const { body } = await post(`query ($level: AllianceLevel) { alliances(level: $level) { totalCount } }`, { level: "PROVINCE" });
    expect(body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  test("malformed JSON is answered as a bad request", async () => {
    const response = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{ not json" });
    expect(response.status).toBe(400);
  });

  test("an unexpected failure reaches the client as INTERNAL_SERVER_ERROR without internals", async () => {
    // The client errors of the tests above (bad queries, bad variables, too complex) logged nothing.
    expect(errorLog).toEqual([]);
    // Break the database under the running server, as a botched manual change would.
    await server.app.prisma.$executeRawUnsafe(`ALTER TABLE organization RENAME TO organization_moved_away`);
    try {
      const { status, body, headers } = await post(`{ organizations { totalCount nodes { id } } }`);
      expect(status).toBe(200);
      expect(body.data).toBeNull();
      expect(body.errors).toHaveLength(1);
      const [error] = body.errors;
      expect(error).toEqual({ message: "Internal server error", locations: expect.any(Array), path: ["organizations"], extensions: { code: "INTERNAL_SERVER_ERROR" } });
      expect(JSON.stringify(body)).not.toMatch(/does not exist|public\.|prisma|invocation|stack|\.ts\b|SELECT/i);
      // The operator finds the cause in the log, under the request id the response carried.
      const logged = errorLog.filter((record) => record.msg === "unexpected error");
      expect(logged).toHaveLength(1);
      expect(logged[0].requestId).toBe(headers.get("x-request-id"));
      expect(logged[0].err.message).toContain("`public.organization` does not exist");

      // Over WebSocket too.
      const [wsError] = await wsErrors(`{ organizations { totalCount } }`);
      expect(wsError).toEqual({ message: "Internal server error", path: ["organizations"], extensions: { code: "INTERNAL_SERVER_ERROR" } });
      expect(errorLog.filter((record) => record.msg === "unexpected error")).toHaveLength(2);

      // The rest of the API is unaffected.
      const alliance = await post(`query ($id: ID!) { alliance(id: $id) { name } }`, { id: tree.city.id });
      expect(alliance.body).toEqual({ data: { alliance: { name: "台州市" } } });
    } finally {
      await server.app.prisma.$executeRawUnsafe(`ALTER TABLE organization_moved_away RENAME TO organization`);
    }
    expect((await post(`{ organizations { totalCount } }`)).body.data.organizations.totalCount).toBe(0);
  });
});

describe("WebSocket limits", () => {
  const EVENTS = "subscription { serviceRequestEvents { kind } }";

  /** A graphql-ws socket after connection_init with `token`: how it ended (if it did) and the messages it got. */
  function open(token: string) {
    const socket = new WebSocket(server.wsUrl, "graphql-transport-ws");
    const messages: Record<string, any>[] = [];
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      socket.on("close", (code, reason) => resolve({ code, reason: String(reason) }));
    });
    const acknowledged = new Promise<boolean>((resolve) => {
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })));
      socket.on("message", (data) => {
        const message = JSON.parse(String(data));
        messages.push(message);
        if (message.type === "connection_ack") resolve(true);
      });
      void closed.then(() => resolve(false));
    });
    /** The first message matching `predicate` within 5 s, or null. */
    const waitFor = async (predicate: (message: Record<string, any>) => boolean) => {
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        const found = messages.find(predicate);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return null;
    };
    return { socket, closed, acknowledged, messages, waitFor };
  }

  test("the 11th socket of one account is refused with 4429; the others stay open", async () => {
    const coordinator = await coordinatorOf(server, tree.wenling.id);
    const sockets = [];
    for (let i = 0; i < 10; i += 1) {
      const socket = open(coordinator.token as string);
      expect(await socket.acknowledged).toBe(true);
      sockets.push(socket);
    }
    const eleventh = open(coordinator.token as string);
    expect(await eleventh.acknowledged).toBe(false);
    expect(await eleventh.closed).toEqual({ code: 4429, reason: "Too many connections" });
    expect(sockets.every((s) => s.socket.readyState === WebSocket.OPEN)).toBe(true);

    sockets[0].socket.close();
    await sockets[0].closed;
    const again = open(coordinator.token as string);
    expect(await again.acknowledged).toBe(true);
    for (const s of [...sockets.slice(1), again]) s.socket.close();
  });

  test("the 21st running operation on a socket is RATE_LIMITED and the socket stays open", async () => {
    const coordinator = await coordinatorOf(server, tree.wenling.id);
    const client = open(coordinator.token as string);
    expect(await client.acknowledged).toBe(true);
    for (let i = 1; i <= 21; i += 1) {
      client.socket.send(JSON.stringify({ id: `s${i}`, type: "subscribe", payload: { query: EVENTS } }));
    }
    const refused = await client.waitFor((m) => m.type === "error" && m.id === "s21");
    expect(refused?.payload[0].extensions.code).toBe("RATE_LIMITED");
    expect(client.messages.filter((m) => m.type === "error" && m.id !== "s21")).toEqual([]);

    client.socket.send(JSON.stringify({ id: "s1", type: "complete" }));
    client.socket.send(JSON.stringify({ id: "me", type: "subscribe", payload: { query: "{ me { id } }" } }));
    const answer = await client.waitFor((m) => m.type === "next" && m.id === "me");
    expect(answer?.payload.data.me.id).toEqual(expect.any(String));
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.socket.close();
  });

  test("a message over 1 MB closes the socket", async () => {
    const client = open(server.admin.token as string);
    expect(await client.acknowledged).toBe(true);
    const huge = "x".repeat(1024 * 1024 + 1);
    client.socket.send(JSON.stringify({ id: "big", type: "subscribe", payload: { query: `{ me { id } } # ${huge}` } }));
    expect((await client.closed).code).toBe(1009);
  });

  test("a token valid for 30 days keeps its socket open (the expiry does not overflow a timer)", async () => {
    const account = await server.app.prisma.account.findUniqueOrThrow({ where: { username: "admin" } });
    const token = jwt.sign({ role: "ADMIN", alliance: null, org: null, ver: account.tokenVersion }, server.config.jwtSecret as string, {
      subject: account.id,
      issuer: "zhulian",
      expiresIn: "30d",
    });
    const client = open(token);
    expect(await client.acknowledged).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    client.socket.send(JSON.stringify({ id: "me", type: "subscribe", payload: { query: "{ me { username } }" } }));
    const answer = await client.waitFor((m) => m.type === "next" && m.id === "me");
    expect(answer?.payload.data.me.username).toBe("admin");
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.socket.close();
  });
});

describe("introspection and the landing page follow their settings", () => {
  test("off: introspection is refused and GET /graphql shows no IDE; on: both work", async () => {
    const off = await startTestServer({ env: { INTROSPECTION: "false", LANDING_PAGE: "false" } });
    const on = await startTestServer({ env: { INTROSPECTION: "true", LANDING_PAGE: "true" } });
    try {
      const INTROSPECT = `{ __schema { queryType { name } } }`;
      const refused = await off.admin.raw(INTROSPECT);
      expect(refused.errors?.[0]?.message).toMatch(/introspection/i);
      expect(refused.data ?? null).toBeNull();
      expect((await on.admin.query(INTROSPECT)).__schema.queryType.name).toBe("Query");

      const page = (url: string) => fetch(url, { headers: { accept: "text/html" } });
      const shown = await page(on.url);
      expect(shown.status).toBe(200);
      expect(await shown.text()).toMatch(/GraphQL IDE/);
      const hidden = await page(off.url);
      expect(hidden.status === 200 && /GraphQL IDE/.test(await hidden.text())).toBe(false);
    } finally {
      await stopAll(off);
      await stopAll(on);
    }
  });
});
