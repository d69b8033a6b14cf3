import { createAlliance, createOrganization } from "./helpers/factories";
import { ADMIN, startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => stopAll(server));

/** The audit rows written after row `afterId`, oldest first. */
const rowsAfter = (afterId: bigint) =>
  server.app.prisma.auditLog.findMany({ where: { id: { gt: afterId } }, orderBy: { id: "asc" } });
const lastId = async () => (await server.app.prisma.auditLog.findFirst({ orderBy: { id: "desc" } }))?.id ?? 0n;
const adminId = async () => (await server.app.prisma.account.findUniqueOrThrow({ where: { username: ADMIN.username } })).id;

test("each successful mutation writes one row with the account, the operation, its input and its result", async () => {
  const start = await lastId();
  const city = await createAlliance(server.admin, { name: "台州市", level: "CITY", regionCode: "331000" });
  const county = await createAlliance(server.admin, { name: "温岭市", level: "COUNTY", regionCode: "331081", parentId: city.id });
  const organization = await createOrganization(server.admin, { name: "阳光社工", allianceIds: [county.id], creditCode: null });
  await server.admin.query(`mutation ($id: ID!) { setOperatingStatus(allianceId: $id, status: NEEDS_IMPROVEMENT) { id } }`, { id: county.id });

  const rows = await rowsAfter(start);
  expect(rows.map((row) => row.operation)).toEqual(["createAlliance", "createAlliance", "createOrganization", "setOperatingStatus"]);
  const admin = await adminId();
  expect(rows.every((row) => row.accountId === admin && typeof row.requestId === "string")).toBe(true);
  expect(rows.map((row) => row.resultId)).toEqual([city.id, county.id, organization.id, county.id]);
  expect(rows[1].input).toMatchObject({ name: "温岭市", level: "COUNTY", regionCode: "331081", parentId: city.id });
  expect(rows[3].input).toEqual({ allianceId: county.id, status: "NEEDS_IMPROVEMENT" });
  expect(new Set(rows.map((row) => row.requestId)).size).toBe(4);
});

test("failed mutations write nothing", async () => {
  const start = await lastId();
  await server.admin.expectError("BAD_USER_INPUT", `mutation { createAlliance(input: { name: "x", level: COUNTY, regionCode: "331099" }) { id } }`);
  await server.admin.expectError("CONFLICT", `mutation { createAlliance(input: { name: "x", level: CITY, regionCode: "331000" }) { id } }`);
  await server.anonymous.expectError("UNAUTHENTICATED", `mutation { createAlliance(input: { name: "x", level: CITY, regionCode: "330100" }) { id } }`);
  await server.anonymous.expectError("UNAUTHENTICATED", `mutation { login(username: "admin", password: "wrong-password") { token } }`);
  await server.admin.expectError("BAD_USER_INPUT", `mutation { createAccount(input: { username: "ab", password: "long-enough-1", role: ADMIN }) { id } }`);
  expect(await rowsAfter(start)).toEqual([]);
});

test("a login is recorded without its password, and so is an account's creation", async () => {
  const start = await lastId();
  const secret = "very-secret-password-42";
  const created = await server.admin.query(`mutation ($input: CreateAccountInput!) { createAccount(input: $input) { id } }`, {
    input: { username: "audited-admin", password: secret, role: "ADMIN" },
  });
  await server.login("audited-admin", secret);

  const rows = await rowsAfter(start);
  expect(rows.map((row) => [row.operation, row.resultId])).toEqual([
    ["createAccount", created.createAccount.id],
    ["login", created.createAccount.id],
  ]);
  expect(rows[0].input).toEqual({ username: "audited-admin", role: "ADMIN" });
  expect(rows[1].input).toEqual({ username: "audited-admin" });
  expect(rows[1].accountId).toBe(created.createAccount.id);
  const stored = JSON.stringify((await server.app.prisma.auditLog.findMany()).map((row) => row.input));
  expect(stored).not.toContain(secret);
  expect(stored).not.toMatch(/password/i);
});

test("an idempotent retry writes no second row", async () => {
  const city = await server.app.prisma.alliance.findUniqueOrThrow({ where: { regionCode: "331000" } });
  const start = await lastId();
  const input = { name: "椒江区", level: "COUNTY", regionCode: "331002", parentId: city.id, idempotencyKey: "audit-retry" };
  const CREATE = `mutation ($input: CreateAllianceInput!) { createAlliance(input: $input) { id } }`;
  const first = await server.admin.query(CREATE, { input });
  const retry = await server.admin.query(CREATE, { input });
  expect(retry).toEqual(first);
  const rows = await rowsAfter(start);
  expect(rows.map((row) => [row.operation, row.resultId])).toEqual([["createAlliance", first.createAlliance.id]]);
});
