import jwt from "jsonwebtoken";
import WebSocket from "ws";
import { coordinatorOf, createOrganization, createTaizhouTree, partnerOf } from "./helpers/factories";
import { GraphQLClient } from "./helpers/graphql";
import { ADMIN, startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;

const LOGIN = `mutation ($u: String!, $p: String!) {
  login(username: $u, password: $p) { token account { id username role } }
}`;
const ME = `{ me { id username role alliance { id name } organization { id name } } }`;
const CREATE_ACCOUNT = `mutation ($input: CreateAccountInput!) { createAccount(input: $input) { id username role } }`;

const accountCount = () => server.app.prisma.account.count();
const allianceCount = () => server.app.prisma.alliance.count();

/** A client that sends `token` as its bearer token. */
const withToken = (token: string) => new GraphQLClient(server.url, server.wsUrl, token);

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
});
afterAll(() => stopAll(server));

describe("login", () => {
  test("the right password returns a token that signs the account in", async () => {
    const data = await server.anonymous.query(LOGIN, { u: ADMIN.username, p: ADMIN.password });
    expect(data.login.account).toMatchObject({ username: ADMIN.username, role: "ADMIN" });
    expect(data.login.token).toEqual(expect.any(String));
    const me = await withToken(data.login.token).query(ME);
    expect(me.me).toMatchObject({ id: data.login.account.id, username: ADMIN.username, role: "ADMIN", alliance: null });
  });

  test("a wrong password and an unknown username fail alike, so accounts cannot be enumerated", async () => {
    const wrongPassword = await server.anonymous.expectError("UNAUTHENTICATED", LOGIN, { u: ADMIN.username, p: "not-the-password" });
    const unknownUser = await server.anonymous.expectError("UNAUTHENTICATED", LOGIN, { u: "nobody-here", p: "not-the-password" });
    expect(wrongPassword.error.message).toBe(unknownUser.error.message);
    expect(wrongPassword.error.extensions).toEqual(unknownUser.error.extensions);
    expect(wrongPassword.data).toBeNull();
    expect(wrongPassword.error.message).not.toMatch(/nobody|exist|unknown/i);
  });

  test("a coordinator's and a partner's tokens carry their alliance and organization", async () => {
    const coordinator = await coordinatorOf(server, tree.wenling.id);
    expect((await coordinator.query(ME)).me).toMatchObject({ role: "COORDINATOR", alliance: { id: tree.wenling.id, name: "温岭市" }, organization: null });
    const organization = await createOrganization(server.admin, { allianceIds: [tree.taiping.id] });
    const partner = await partnerOf(server, organization.id);
    expect((await partner.query(ME)).me).toMatchObject({ role: "PARTNER", alliance: null, organization: { id: organization.id } });
  });
});

describe("without a valid token only login works", () => {
  const operations: [string, string, Record<string, unknown>][] = [
    ["me", ME, {}],
    ["alliance", `query ($id: ID!) { alliance(id: $id) { id } }`, {}],
    ["allianceRoots", `{ allianceRoots { id } }`, {}],
    ["alliances", `{ alliances { totalCount } }`, {}],
    ["organizations", `{ organizations { totalCount } }`, {}],
    ["createAlliance", `mutation { createAlliance(input: { name: "x", level: CITY, regionCode: "330100" }) { id } }`, {}],
    [
      "createAccount",
      CREATE_ACCOUNT,
      { input: { username: "intruder", password: "password-123", role: "ADMIN" } },
    ],
  ];

  test.each(operations)("%s answers UNAUTHENTICATED with no token and writes nothing", async (_name, query, variables) => {
    const vars = { id: tree?.city.id, ...variables };
    const [accounts, alliances] = [await accountCount(), await allianceCount()];
    const { error, data } = await server.anonymous.expectError("UNAUTHENTICATED", query, vars);
    expect(error.message).toMatch(/sign in/i);
    expect(Object.values(data ?? {}).filter((value) => value !== null)).toEqual([]);
    expect(await accountCount()).toBe(accounts);
    expect(await allianceCount()).toBe(alliances);
  });

  const secret = () => server.config.jwtSecret as string;
  const adminId = async () => (await server.app.prisma.account.findUniqueOrThrow({ where: { username: ADMIN.username } })).id;

  test("an expired token is refused", async () => {
    const token = jwt.sign(
      { role: "ADMIN", alliance: null, org: null, exp: Math.floor(Date.now() / 1000) - 60 },
      secret(),
      { subject: await adminId(), issuer: "zhulian", algorithm: "HS256" },
    );
    await withToken(token).expectError("UNAUTHENTICATED", ME);
    await withToken(token).expectError("UNAUTHENTICATED", `{ alliances { totalCount } }`);
  });

  test("a token signed with another secret is refused", async () => {
    const token = jwt.sign({ role: "ADMIN", alliance: null, org: null }, "some-other-secret-some-other-secret-0000", {
      subject: await adminId(),
      issuer: "zhulian",
      expiresIn: "1h",
    });
    await withToken(token).expectError("UNAUTHENTICATED", ME);
  });

  test("a coordinator's token edited to say ADMIN is refused", async () => {
    const coordinator = await coordinatorOf(server, tree.jiaojiang.id);
    const [header, payload, signature] = (coordinator.token as string).split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, role: "ADMIN", alliance: null })).toString("base64url");
    await withToken(`${header}.${forged}.${signature}`).expectError("UNAUTHENTICATED", ME);
    await withToken(`${header}.${forged}.${signature}`).expectError("UNAUTHENTICATED", `{ alliances { totalCount } }`);
  });

  test("an unsigned (alg none) token and garbage are refused", async () => {
    const token = jwt.sign({ role: "ADMIN" }, "", { algorithm: "none", subject: await adminId(), issuer: "zhulian" });
    await withToken(token).expectError("UNAUTHENTICATED", ME);
    await withToken("not-a-token").expectError("UNAUTHENTICATED", ME);
  });

  test("a token from another issuer is refused", async () => {
    const token = jwt.sign({ role: "ADMIN" }, secret(), { subject: await adminId(), issuer: "someone-else", expiresIn: "1h" });
    await withToken(token).expectError("UNAUTHENTICATED", ME);
  });

  test("login still works for a client that sends a stale token", async () => {
    const data = await withToken("stale").query(LOGIN, { u: ADMIN.username, p: ADMIN.password });
    expect(data.login.account.username).toBe(ADMIN.username);
  });
});

describe("createAccount", () => {
  test("the ADMIN creates a coordinator, who can sign in", async () => {
    const data = await server.admin.query(CREATE_ACCOUNT, {
      input: { username: "wenling.coordinator", password: "long-enough-1", role: "COORDINATOR", allianceId: tree.wenling.id },
    });
    expect(data.createAccount).toMatchObject({ username: "wenling.coordinator", role: "COORDINATOR" });
    const client = await server.login("wenling.coordinator", "long-enough-1");
    expect((await client.query(ME)).me.alliance.id).toBe(tree.wenling.id);
  });

  test("a taken username is a CONFLICT and nothing is written", async () => {
    const before = await accountCount();
    const { error } = await server.admin.expectError("CONFLICT", CREATE_ACCOUNT, {
      input: { username: ADMIN.username, password: "long-enough-1", role: "ADMIN" },
    });
    expect(error.extensions?.field).toBe("username");
    expect(await accountCount()).toBe(before);
  });

  test("bad input names the field and writes nothing", async () => {
    const before = await accountCount();
    const short = await server.admin.expectError("BAD_USER_INPUT", CREATE_ACCOUNT, {
      input: { username: "short-password", password: "1234567", role: "ADMIN" },
    });
    expect(short.error.extensions?.field).toBe("password");
    const noAlliance = await server.admin.expectError("BAD_USER_INPUT", CREATE_ACCOUNT, {
      input: { username: "lost-coordinator", password: "long-enough-1", role: "COORDINATOR" },
    });
    expect(noAlliance.error.extensions?.field).toBe("allianceId");
    const noOrganization = await server.admin.expectError("BAD_USER_INPUT", CREATE_ACCOUNT, {
      input: { username: "lost-partner", password: "long-enough-1", role: "PARTNER" },
    });
    expect(noOrganization.error.extensions?.field).toBe("organizationId");
    const badName = await server.admin.expectError("BAD_USER_INPUT", CREATE_ACCOUNT, {
      input: { username: "has spaces", password: "long-enough-1", role: "ADMIN" },
    });
    expect(badName.error.extensions?.field).toBe("username");
    expect(await accountCount()).toBe(before);
  });

  test("a coordinator creates PARTNER accounts in its subtree only", async () => {
    const coordinator = await coordinatorOf(server, tree.wenling.id);
    const inside = await createOrganization(server.admin, { allianceIds: [tree.taipingA.id] });
    const outside = await createOrganization(server.admin, { allianceIds: [tree.haimen.id] });
    const created = await coordinator.query(CREATE_ACCOUNT, {
      input: { username: "taiping-partner", password: "long-enough-1", role: "PARTNER", organizationId: inside.id },
    });
    expect(created.createAccount.role).toBe("PARTNER");

    const before = await accountCount();
    await coordinator.expectError("FORBIDDEN", CREATE_ACCOUNT, {
      input: { username: "haimen-partner", password: "long-enough-1", role: "PARTNER", organizationId: outside.id },
    });
    await coordinator.expectError("FORBIDDEN", CREATE_ACCOUNT, {
      input: { username: "another-coordinator", password: "long-enough-1", role: "COORDINATOR", allianceId: tree.taiping.id },
    });
    await coordinator.expectError("FORBIDDEN", CREATE_ACCOUNT, {
      input: { username: "another-admin", password: "long-enough-1", role: "ADMIN" },
    });
    expect(await accountCount()).toBe(before);
  });

  test("a partner creates no accounts", async () => {
    const organization = await createOrganization(server.admin, { allianceIds: [tree.taiping.id] });
    const partner = await partnerOf(server, organization.id);
    const before = await accountCount();
    await partner.expectError("FORBIDDEN", CREATE_ACCOUNT, {
      input: { username: "partner-colleague", password: "long-enough-1", role: "PARTNER", organizationId: organization.id },
    });
    expect(await accountCount()).toBe(before);
  });
});

describe("WebSocket authentication", () => {
  /** Opens a raw graphql-ws socket, sends connection_init with `payload`, and reports how it ends. */
  function connect(payload: Record<string, unknown> | undefined): Promise<{ acknowledged: boolean; closeCode?: number }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(server.wsUrl, "graphql-transport-ws");
      const timer = setTimeout(() => reject(new Error("the socket neither acknowledged nor closed")), 5000);
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", ...(payload ? { payload } : {}) })));
      socket.on("message", (data) => {
        if (JSON.parse(String(data)).type === "connection_ack") {
          clearTimeout(timer);
          socket.close();
          resolve({ acknowledged: true });
        }
      });
      socket.on("close", (code) => {
        clearTimeout(timer);
        resolve({ acknowledged: false, closeCode: code });
      });
      socket.on("error", reject);
    });
  }

  test("a valid token in connection_init is acknowledged and queries run as that account", async () => {
    expect(await connect({ authorization: `Bearer ${server.admin.token}` })).toEqual({ acknowledged: true });
    const client = server.admin.ws();
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        client.subscribe({ query: `{ me { username } }` }, { next: resolve, error: reject, complete: () => undefined });
      });
      expect(result).toEqual({ data: { me: { username: ADMIN.username } } });
    } finally {
      await client.dispose();
    }
  });

  test("a forged token closes the socket with 4403", async () => {
    expect(await connect({ authorization: "Bearer forged.token.here" })).toEqual({ acknowledged: false, closeCode: 4403 });
    const expired = jwt.sign({ role: "ADMIN", exp: Math.floor(Date.now() / 1000) - 60 }, server.config.jwtSecret as string, {
      subject: "00000000-0000-4000-8000-000000000000",
      issuer: "zhulian",
    });
    expect(await connect({ authorization: `Bearer ${expired}` })).toEqual({ acknowledged: false, closeCode: 4403 });
  });

  test("a socket lives no longer than its token: at expiry the server closes it with 4403", async () => {
    const account = await server.app.prisma.account.findUniqueOrThrow({ where: { username: ADMIN.username } });
    const shortLived = jwt.sign({ role: "ADMIN", alliance: null, org: null, ver: account.tokenVersion }, server.config.jwtSecret as string, {
      subject: account.id,
      issuer: "zhulian",
      expiresIn: 2,
    });
    const ending = await new Promise<{ acknowledged: boolean; closeCode: number; reason: string }>((resolve, reject) => {
      let acknowledged = false;
      const socket = new WebSocket(server.wsUrl, "graphql-transport-ws");
      const timer = setTimeout(() => reject(new Error("the socket outlived its token")), 8000);
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${shortLived}` } })));
      socket.on("message", (data) => {
        if (JSON.parse(String(data)).type === "connection_ack") acknowledged = true;
      });
      socket.on("close", (code, reason) => {
        clearTimeout(timer);
        resolve({ acknowledged, closeCode: code, reason: String(reason) });
      });
      socket.on("error", reject);
    });
    expect(ending).toEqual({ acknowledged: true, closeCode: 4403, reason: "Token expired" });
  });

  test("no token closes the socket too", async () => {
    expect(await connect(undefined)).toEqual({ acknowledged: false, closeCode: 4403 });
    expect(await connect({})).toEqual({ acknowledged: false, closeCode: 4403 });
  });
});
