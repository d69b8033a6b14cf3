import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import pino from "pino";
import WebSocket from "ws";
import { closeApp, openApp } from "../src/app";
import { loadConfig } from "../src/config";
import { startServer } from "../src/server";
import { coordinatorOf, createOrganization, createTaizhouTree } from "./helpers/factories";
import { GraphQLClient } from "./helpers/graphql";
import { ADMIN, startSecondInstance, startTestServer, stopAll, type TestServer } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let second: TestServer;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;

const CREATE_ACCOUNT = `mutation ($input: CreateAccountInput!) { createAccount(input: $input) { id username role active } }`;
const DEACTIVATE = `mutation ($id: ID!) { deactivateAccount(id: $id) { id active } }`;
const REACTIVATE = `mutation ($id: ID!) { reactivateAccount(id: $id) { id active } }`;
const CHANGE_PASSWORD = `mutation ($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }`;
const ACCOUNTS = `query ($role: Role, $first: Int, $after: String) {
  accounts(role: $role, first: $first, after: $after) {
    totalCount nodes { id username role active alliance { id } organization { id } } pageInfo { hasNextPage endCursor }
  }
}`;
const ME = `{ me { id username active } }`;
const PASSWORD = "a-fine-password-1";

const accountCount = () => server.app.prisma.account.count();
const withToken = (token: string | undefined, on: { url: string; wsUrl: string } = server) => new GraphQLClient(on.url, on.wsUrl, token);
const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

/** Creates an account through the ADMIN and signs it in. */
async function account(role: "COORDINATOR" | "PARTNER", link: { allianceId?: string; organizationId?: string }) {
  const username = uniqueName(role.toLowerCase());
  const created = await server.admin.query(CREATE_ACCOUNT, { input: { username, password: PASSWORD, role, ...link } });
  return { id: created.createAccount.id as string, username, client: await server.login(username, PASSWORD) };
}

/** Polls `check` until it holds or 5 s have passed; returns whether it held. */
async function within5s(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

/** A graphql-ws socket signed in with `token`, acknowledged; `closed` settles when the server closes it. */
async function openSocket(wsUrl: string, token: string) {
  const socket = new WebSocket(wsUrl, "graphql-transport-ws");
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on("close", (code, reason) => resolve({ code, reason: String(reason) }));
  });
  await new Promise<void>((resolve, reject) => {
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })));
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type === "connection_ack") resolve();
    });
    socket.on("error", reject);
    void closed.then(({ code }) => reject(new Error(`closed with ${code} before the ack`)));
  });
  socket.send(JSON.stringify({ id: "events", type: "subscribe", payload: { query: "subscription { serviceRequestEvents { kind } }" } }));
  return { socket, closed };
}

beforeAll(async () => {
  server = await startTestServer();
  second = await startSecondInstance(server);
  tree = await createTaizhouTree(server.admin);
});
afterAll(() => stopAll(server, second));

describe("createAccount by a coordinator (path 2 of issue 8)", () => {
  test("an organization that is also a member of an alliance above the coordinator's subtree gets no account; one wholly inside does", async () => {
    const taiping = await coordinatorOf(server, tree.taiping.id);
    const citywide = await createOrganization(server.admin, { allianceIds: [tree.city.id, tree.taipingA.id] });
    const elsewhere = await createOrganization(server.admin, { allianceIds: [tree.taipingB.id, tree.haimenA.id] });
    const inside = await createOrganization(server.admin, { allianceIds: [tree.taipingA.id, tree.taipingB.id] });
    const before = await accountCount();
    for (const organization of [citywide, elsewhere]) {
      const username = uniqueName("minted");
      const { error, data } = await taiping.expectError("FORBIDDEN", CREATE_ACCOUNT, {
        input: { username, password: PASSWORD, role: "PARTNER", organizationId: organization.id },
      });
      expect(error.message).toMatch(/outside your subtree/);
      expect(data).toBeNull();
      expect(await server.app.prisma.account.findUnique({ where: { username } })).toBeNull();
    }
    expect(await accountCount()).toBe(before);

    const username = uniqueName("taiping-partner");
    const created = await taiping.query(CREATE_ACCOUNT, {
      input: { username, password: PASSWORD, role: "PARTNER", organizationId: inside.id },
    });
    expect(created.createAccount).toMatchObject({ username, role: "PARTNER", active: true });
    const partner = await server.login(username, PASSWORD);
    const roots = await partner.query(`{ allianceRoots { id } }`);
    expect(roots.allianceRoots.map((a: { id: string }) => a.id).sort()).toEqual([tree.taipingA.id, tree.taipingB.id].sort());
  });

  test("passwords follow the policy: at least 10 characters, not the username, not a common one; nothing is written", async () => {
    const before = await accountCount();
    const cases: [string, string, RegExp][] = [
      ["short-pw1", uniqueName("weak"), /at least 10 characters/],
      ["password123", uniqueName("weak"), /too common/],
      ["same-as-the-username", "same-as-the-username", /username/],
    ];
    for (const [password, username, message] of cases) {
      const { error } = await server.admin.expectError("BAD_USER_INPUT", CREATE_ACCOUNT, {
        input: { username, password, role: "ADMIN" },
      });
      expect(error.extensions?.field).toBe("password");
      expect(error.message).toMatch(/^password: /);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(password);
    }
    expect(await accountCount()).toBe(before);
  });
});

describe("deactivation", () => {
  test("stops the token on HTTP and closes open WebSockets with 4403 within 5 s, on both instances; login is refused", async () => {
    const organization = await createOrganization(server.admin, { allianceIds: [tree.taipingA.id] });
    const partner = await account("PARTNER", { organizationId: organization.id });
    const onSecond = withToken(partner.client.token, second);
    expect((await partner.client.query(ME)).me).toMatchObject({ username: partner.username, active: true });
    expect((await onSecond.query(ME)).me.username).toBe(partner.username);
    const first = await openSocket(server.wsUrl, partner.client.token as string);
    const other = await openSocket(second.wsUrl, partner.client.token as string);

    const deactivated = await server.admin.query(DEACTIVATE, { id: partner.id });
    expect(deactivated.deactivateAccount).toEqual({ id: partner.id, active: false });

    const refused = async (client: GraphQLClient) => (await client.raw(ME)).errors?.[0]?.extensions?.code === "UNAUTHENTICATED";
    expect(await within5s(() => refused(partner.client))).toBe(true);
    expect(await within5s(() => refused(onSecond))).toBe(true);
    const { error, data } = await partner.client.expectError("UNAUTHENTICATED", `{ me { id } alliances { totalCount } }`);
    expect(error.message).toMatch(/deactivated|no longer valid/);
    expect(data ?? null).toBeNull();

    const deadline = async (closed: Promise<{ code: number; reason: string }>) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), 5000);
      });
      try {
        return await Promise.race([closed, late]);
      } finally {
        clearTimeout(timer);
      }
    };
    expect(await deadline(first.closed)).toEqual({ code: 4403, reason: expect.stringMatching(/deactivated/) });
    expect(await deadline(other.closed)).toEqual({ code: 4403, reason: expect.stringMatching(/deactivated/) });

    const login = await server.anonymous.expectError(
      "UNAUTHENTICATED",
      `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`,
      { u: partner.username, p: PASSWORD },
    );
    expect(login.error.message).toMatch(/deactivated/);
    const wrong = await server.anonymous.expectError(
      "UNAUTHENTICATED",
      `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`,
      { u: partner.username, p: "not-the-password" },
    );
    expect(wrong.error.message).not.toMatch(/deactivated/);

    const reactivated = await server.admin.query(REACTIVATE, { id: partner.id });
    expect(reactivated.reactivateAccount).toEqual({ id: partner.id, active: true });
    await partner.client.expectError("UNAUTHENTICATED", ME);
    await onSecond.expectError("UNAUTHENTICATED", ME);
    const again = await server.login(partner.username, PASSWORD);
    expect((await again.query(ME)).me).toMatchObject({ id: partner.id, active: true });
    // The second instance may still hold the deactivated state for up to TOKEN_CHECK_SECONDS.
    const onSecondAgain = withToken(again.token, second);
    expect(await within5s(async () => (await onSecondAgain.raw(ME)).data?.me?.id === partner.id)).toBe(true);
  });

  test("a client whose token was revoked can still sign in again with it in the header", async () => {
    const coordinator = await account("COORDINATOR", { allianceId: tree.haimen.id });
    await server.admin.query(DEACTIVATE, { id: coordinator.id });
    await server.admin.query(REACTIVATE, { id: coordinator.id });
    const data = await coordinator.client.query(`mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`, {
      u: coordinator.username,
      p: PASSWORD,
    });
    expect((await withToken(data.login.token).query(ME)).me.id).toBe(coordinator.id);
  });

  test("a coordinator manages coordinators of its subtree and partners wholly inside it, nothing else", async () => {
    const wenling = await account("COORDINATOR", { allianceId: tree.wenling.id });
    const taiping = await account("COORDINATOR", { allianceId: tree.taiping.id });
    const haimen = await account("COORDINATOR", { allianceId: tree.haimen.id });
    const insideOrganization = await createOrganization(server.admin, { allianceIds: [tree.taipingA.id] });
    const straddling = await createOrganization(server.admin, { allianceIds: [tree.taipingA.id, tree.haimenA.id] });
    const inside = await account("PARTNER", { organizationId: insideOrganization.id });
    const halfOutside = await account("PARTNER", { organizationId: straddling.id });
    const admin = await server.app.prisma.account.findUniqueOrThrow({ where: { username: ADMIN.username } });

    const refusals: [string, string][] = [
      [admin.id, "an ADMIN"],
      [wenling.id, "its own account"],
      [haimen.id, "a coordinator outside its subtree"],
      [halfOutside.id, "a partner with a membership outside its subtree"],
    ];
    for (const [id] of refusals) {
      const { data } = await wenling.client.expectError("FORBIDDEN", DEACTIVATE, { id });
      expect(data).toBeNull();
      await wenling.client.expectError("FORBIDDEN", REACTIVATE, { id });
    }
    const untouched = await server.app.prisma.account.findMany({ where: { id: { in: refusals.map(([id]) => id) } } });
    expect(untouched.map((a) => [a.active, a.tokenVersion])).toEqual(refusals.map(() => [true, 0]));
    await server.admin.expectError("FORBIDDEN", DEACTIVATE, { id: admin.id });
    await wenling.client.expectError("NOT_FOUND", DEACTIVATE, { id: "00000000-0000-4000-8000-000000000000" });
    await inside.client.expectError("FORBIDDEN", DEACTIVATE, { id: halfOutside.id });

    expect((await wenling.client.query(DEACTIVATE, { id: taiping.id })).deactivateAccount.active).toBe(false);
    expect((await wenling.client.query(DEACTIVATE, { id: inside.id })).deactivateAccount.active).toBe(false);
    expect((await wenling.client.query(REACTIVATE, { id: inside.id })).reactivateAccount.active).toBe(true);
    const audit = await server.app.prisma.auditLog.findMany({
      where: { operation: { in: ["deactivateAccount", "reactivateAccount"] }, resultId: inside.id },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((row) => [row.operation, row.accountId])).toEqual([
      ["deactivateAccount", wenling.id],
      ["reactivateAccount", wenling.id],
    ]);
  });
});

describe("changePassword", () => {
  test("stops every token of the account; the new password signs in, the old one no longer does", async () => {
    const coordinator = await account("COORDINATOR", { allianceId: tree.jiaojiang.id });
    const otherSession = await server.login(coordinator.username, PASSWORD);
    const next = "another-fine-password-2";
    expect((await coordinator.client.query(CHANGE_PASSWORD, { current: PASSWORD, next })).changePassword).toBe(true);
    await coordinator.client.expectError("UNAUTHENTICATED", ME);
    await otherSession.expectError("UNAUTHENTICATED", ME);
    await withToken(coordinator.client.token, second).expectError("UNAUTHENTICATED", ME);
    await server.anonymous.expectError(
      "UNAUTHENTICATED",
      `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`,
      { u: coordinator.username, p: PASSWORD },
    );
    const signedIn = await server.login(coordinator.username, next);
    expect((await signedIn.query(ME)).me.id).toBe(coordinator.id);
    const audit = await server.app.prisma.auditLog.findFirstOrThrow({ where: { operation: "changePassword", resultId: coordinator.id } });
    expect(JSON.stringify(audit.input)).not.toContain(next);
  });

  test("a weak new password is BAD_USER_INPUT on newPassword, a wrong current one UNAUTHENTICATED; nothing changes", async () => {
    const partnerOrganization = await createOrganization(server.admin, { allianceIds: [tree.haimenA.id] });
    const partner = await account("PARTNER", { organizationId: partnerOrganization.id });
    const before = await server.app.prisma.account.findUniqueOrThrow({ where: { id: partner.id } });
    const weak = await partner.client.expectError("BAD_USER_INPUT", CHANGE_PASSWORD, { current: PASSWORD, next: "qwertyuiop" });
    expect(weak.error.extensions?.field).toBe("newPassword");
    expect(weak.error.message).toMatch(/^newPassword: .*common/);
    const short = await partner.client.expectError("BAD_USER_INPUT", CHANGE_PASSWORD, { current: PASSWORD, next: "short" });
    expect(short.error.extensions?.field).toBe("newPassword");
    const wrong = await partner.client.expectError("UNAUTHENTICATED", CHANGE_PASSWORD, { current: "not-my-password", next: "a-strong-new-password" });
    expect(wrong.error.extensions?.field).toBe("currentPassword");
    const after = await server.app.prisma.account.findUniqueOrThrow({ where: { id: partner.id } });
    expect([after.passwordHash, after.tokenVersion]).toEqual([before.passwordHash, before.tokenVersion]);
    expect((await partner.client.query(ME)).me.id).toBe(partner.id);
    await server.anonymous.expectError("UNAUTHENTICATED", CHANGE_PASSWORD, { current: PASSWORD, next: "a-strong-new-password" });
  });
});

describe("accounts", () => {
  test("ADMIN lists every account by username, in pages", async () => {
    const total = await accountCount();
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: any = (await server.admin.query(ACCOUNTS, { first: 7, after })).accounts;
      expect(page.totalCount).toBe(total);
      seen.push(...page.nodes.map((n: { username: string }) => n.username));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    const expected = (await server.app.prisma.account.findMany({ orderBy: [{ username: "asc" }, { id: "asc" }] })).map((a) => a.username);
    expect(seen).toEqual(expected);
    const admins = await server.admin.query(ACCOUNTS, { role: "ADMIN" });
    expect(admins.accounts.nodes.map((n: { username: string }) => n.username)).toEqual([ADMIN.username]);
  });

  test("a coordinator lists the coordinators of its subtree and the partners of organizations with a membership in it", async () => {
    const jiaojiang = await account("COORDINATOR", { allianceId: tree.jiaojiang.id });
    const haimen = await account("COORDINATOR", { allianceId: tree.haimen.id });
    const wenling = await account("COORDINATOR", { allianceId: tree.wenling.id });
    const straddling = await createOrganization(server.admin, { allianceIds: [tree.haimenA.id, tree.taipingB.id] });
    const wenlingOnly = await createOrganization(server.admin, { allianceIds: [tree.taipingB.id] });
    const straddlingPartner = await account("PARTNER", { organizationId: straddling.id });
    const wenlingPartner = await account("PARTNER", { organizationId: wenlingOnly.id });

    const expected = await server.app.prisma.account.findMany({
      where: {
        OR: [
          { role: "COORDINATOR", alliance: { path: { startsWith: (await server.app.prisma.alliance.findUniqueOrThrow({ where: { id: tree.jiaojiang.id } })).path } } },
          { role: "PARTNER", organization: { memberships: { some: { alliance: { regionCode: { startsWith: "331002" } } } } } },
        ],
      },
      orderBy: [{ username: "asc" }, { id: "asc" }],
    });
    const listed = await jiaojiang.client.query(ACCOUNTS, { first: 100 });
    const usernames = listed.accounts.nodes.map((n: { username: string }) => n.username);
    expect(usernames).toEqual(expected.map((a) => a.username));
    expect(usernames).toEqual(expect.arrayContaining([jiaojiang.username, haimen.username, straddlingPartner.username]));
    expect(usernames).not.toContain(wenling.username);
    expect(usernames).not.toContain(wenlingPartner.username);
    expect(usernames).not.toContain(ADMIN.username);
    const partners = await jiaojiang.client.query(ACCOUNTS, { role: "PARTNER", first: 100 });
    expect(partners.accounts.nodes.every((n: { role: string }) => n.role === "PARTNER")).toBe(true);
    expect(partners.accounts.nodes.map((n: { username: string }) => n.username)).toContain(straddlingPartner.username);

    const { data } = await wenlingPartner.client.expectError("FORBIDDEN", ACCOUNTS, {});
    expect(data).toBeNull();
  });
});

describe("the ADMIN account at start-up", () => {
  /** Starts the server on `database` as a restart would, without signing anyone in. */
  async function restart(database: { url?: string; dataDir: string }, env: Record<string, string>, log: Record<string, any>[]) {
    const config = loadConfig({
      PORT: "0",
      DATA_DIR: database.dataDir,
      JWT_SECRET: "test-secret-test-secret-test-secret-0123",
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      SEED: "none",
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      ...env,
    });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) log.push(JSON.parse(line));
        done();
      },
    });
    const app = await openApp(config, pino({ level: "info" }, sink));
    const http = await startServer(app, { port: 0, host: "127.0.0.1" });
    return {
      url: http.url,
      wsUrl: http.wsUrl,
      async close() {
        await http.close();
        await closeApp(app);
      },
    };
  }

  test("a restart keeps a changed ADMIN password; ADMIN_RESET_PASSWORD=true resets it and stops older tokens", async () => {
    const first = await startTestServer({ persistent: true });
    const changed = "a-changed-admin-password";
    await first.admin.query(CHANGE_PASSWORD, { current: ADMIN.password, next: changed });
    await first.close();

    const log: Record<string, any>[] = [];
    const kept = await restart(first.database, {}, log);
    const anonymous = new GraphQLClient(kept.url, kept.wsUrl);
    const signIn = (client: GraphQLClient, password: string) =>
      client.raw(`mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`, { u: ADMIN.username, p: password });
    expect((await signIn(anonymous, ADMIN.password)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const before = (await signIn(anonymous, changed)).data?.login.token as string;
    expect(before).toEqual(expect.any(String));
    expect(log.some((record) => /ADMIN/.test(String(record.msg)))).toBe(false);
    await kept.close();

    const reset = await startTestServer({ database: first.database, env: { ADMIN_RESET_PASSWORD: "true" } });
    try {
      expect((await reset.admin.query(ME)).me.username).toBe(ADMIN.username);
      await new GraphQLClient(reset.url, reset.wsUrl, before).expectError("UNAUTHENTICATED", ME);
      expect((await signIn(reset.anonymous, changed)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      const audit = await reset.app.prisma.auditLog.count({ where: { operation: "resetAdminPassword" } });
      expect(audit).toBe(1);
    } finally {
      await stopAll(reset);
    }
  });
});
