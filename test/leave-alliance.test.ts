import { coordinatorOf, createOrganization, createTaizhouTree, insertHousehold, partnerOf, type OrganizationNode } from "./helpers/factories";
import { GraphQLClient } from "./helpers/graphql";
import { startTestServer, stopAll } from "./helpers/server";
import { auditRows, CLAIM, createServiceRequest } from "./helpers/service-requests";
import { isoDate, todayInChina } from "../src/common/scalars";

/** Setup signs in several accounts (argon2): generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;
let jiaojiangCoordinator: GraphQLClient;

const LEAVE = `mutation ($allianceId: ID!, $organizationId: ID!, $on: Date) {
  leaveAlliance(allianceId: $allianceId, organizationId: $organizationId, on: $on) { id alliances { id } }
}`;
const JOIN = `mutation ($allianceId: ID!, $organizationId: ID!) { joinAlliance(allianceId: $allianceId, organizationId: $organizationId) { id } }`;
const EVENTS = `subscription { serviceRequestEvents { kind request { id status claimedBy { id } } } }`;
const REQUESTS = `query { serviceRequests(first: 100) { nodes { id status } } }`;
const REQUEST = `query ($id: ID!) { serviceRequest(id: $id) { id status claimedBy { id } } }`;

type Event = { serviceRequestEvents: { kind: string; request: { id: string; status: string; claimedBy: { id: string } | null } } };

const today = isoDate(todayInChina());
const yesterday = isoDate(new Date(todayInChina().getTime() - 86_400_000));

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
  jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
}, SETUP_TIMEOUT);
afterAll(() => stopAll(server));

async function memberOfTaipingAndHaimen(): Promise<{ org: OrganizationNode; partner: GraphQLClient }> {
  const org = await createOrganization(server.admin, { allianceIds: [tree.taiping.id, tree.haimen.id], serviceCategories: ["ELDERLY_CARE"] });
  return { org, partner: await partnerOf(server, org.id) };
}

test("a partner that leaves stops seeing the subtree, live too; its claims there go back to OPEN with an event; re-joining works", async () => {
  const { org, partner } = await memberOfTaipingAndHaimen();
  const household = await insertHousehold(server, { allianceId: tree.taipingA.id });
  const inTaiping = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, householdId: household.id });
  const inHaimen = await createServiceRequest(server.admin, { allianceId: tree.haimenA.id });
  await partner.query(CLAIM, { id: inTaiping.id });
  await partner.query(CLAIM, { id: inHaimen.id });
  await server.admin.query(`mutation ($input: AssignHouseholdInput!) { assignHousehold(input: $input) { id } }`, {
    input: { householdId: household.id, organizationId: org.id, from: "2025-01-01" },
  });
  expect((await partner.query(REQUEST, { id: inTaiping.id })).serviceRequest.status).toBe("CLAIMED");

  const partnerEvents = partner.subscribe<Event>(EVENTS);
  const coordinatorEvents = wenlingCoordinator.subscribe<Event>(EVENTS);
  await Promise.all([partnerEvents.ready(), coordinatorEvents.ready()]);

  const { leaveAlliance } = await wenlingCoordinator.query(LEAVE, { allianceId: tree.taiping.id, organizationId: org.id });
  expect(leaveAlliance.id).toBe(org.id);

  // The claim in 太平街道 is released for everyone who can still see it.
  const released = (await coordinatorEvents.next(3000)).data!.serviceRequestEvents;
  expect(released).toEqual({ kind: "RELEASED", request: { id: inTaiping.id, status: "OPEN", claimedBy: null } });
  expect((await wenlingCoordinator.query(REQUEST, { id: inTaiping.id })).serviceRequest).toMatchObject({ status: "OPEN", claimedBy: null });
  // The claim in 海门街道, still covered by its other membership, stays.
  expect((await partner.query(REQUEST, { id: inHaimen.id })).serviceRequest.status).toBe("CLAIMED");

  // The partner no longer reads the request, nor lists it.
  await partner.expectError("FORBIDDEN", REQUEST, { id: inTaiping.id });
  const listed = (await partner.query(REQUESTS)).serviceRequests.nodes.map((r: { id: string }) => r.id);
  expect(listed).toContain(inHaimen.id);
  expect(listed).not.toContain(inTaiping.id);

  // Its live subscription: nothing from 太平街道 (not even the release), still events from 海门街道.
  await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id });
  const stillSeen = await createServiceRequest(server.admin, { allianceId: tree.haimenA.id });
  const received = (await partnerEvents.drain(1500)).map((r) => r.data!.serviceRequestEvents);
  expect(received).toEqual([{ kind: "CREATED", request: { id: stillSeen.id, status: "OPEN", claimedBy: null } }]);

  // What was written: the membership moved to its end, the care assignment ended the day before.
  const ended = await server.app.prisma.allianceMembershipEnd.findMany({ where: { organizationId: org.id } });
  expect(ended).toHaveLength(1);
  expect(isoDate(ended[0].leftOn)).toBe(today);
  expect(ended[0].allianceId).toBe(tree.taiping.id);
  expect(await server.app.prisma.allianceMembership.count({ where: { organizationId: org.id, allianceId: tree.taiping.id } })).toBe(0);
  const assignment = await server.app.prisma.householdAssignment.findFirstOrThrow({ where: { organizationId: org.id } });
  expect(isoDate(assignment.toDate!)).toBe(yesterday);

  // Joining again: the same subscription sees 太平街道 again.
  await server.admin.query(JOIN, { allianceId: tree.taiping.id, organizationId: org.id });
  const after = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id });
  const event = (await partnerEvents.next(3000)).data!.serviceRequestEvents;
  expect(event).toMatchObject({ kind: "CREATED", request: { id: after.id } });
  expect((await partner.query(REQUEST, { id: inTaiping.id })).serviceRequest.status).toBe("OPEN");
  await Promise.all([partnerEvents.close(), coordinatorEvents.close()]);
});

test("leaving an alliance one is not in is BAD_USER_INPUT, and nothing is written", async () => {
  const { org } = await memberOfTaipingAndHaimen();
  const audits = await auditRows(server, "leaveAlliance");
  const ends = await server.app.prisma.allianceMembershipEnd.count();
  const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", LEAVE, { allianceId: tree.taipingA.id, organizationId: org.id });
  expect(error.message).toMatch(/organizationId.*not a member/);
  expect(await auditRows(server, "leaveAlliance")).toBe(audits);
  expect(await server.app.prisma.allianceMembershipEnd.count()).toBe(ends);
  expect(await server.app.prisma.allianceMembership.count({ where: { organizationId: org.id } })).toBe(2);
});

test("a day in the future or before joining is BAD_USER_INPUT; partners and other subtrees' coordinators are FORBIDDEN; nothing is written", async () => {
  const { org, partner } = await memberOfTaipingAndHaimen();
  const audits = await auditRows(server, "leaveAlliance");
  const future = await wenlingCoordinator.expectError("BAD_USER_INPUT", LEAVE, { allianceId: tree.taiping.id, organizationId: org.id, on: "2999-01-01" });
  expect(future.error.message).toMatch(/on/);
  const early = await wenlingCoordinator.expectError("BAD_USER_INPUT", LEAVE, { allianceId: tree.taiping.id, organizationId: org.id, on: "2020-01-01" });
  expect(early.error.message).toMatch(/joined/);
  await partner.expectError("FORBIDDEN", LEAVE, { allianceId: tree.taiping.id, organizationId: org.id });
  await jiaojiangCoordinator.expectError("FORBIDDEN", LEAVE, { allianceId: tree.taiping.id, organizationId: org.id });
  await wenlingCoordinator.expectError("NOT_FOUND", LEAVE, { allianceId: tree.taiping.id, organizationId: "00000000-0000-4000-8000-000000000000" });
  expect(await auditRows(server, "leaveAlliance")).toBe(audits);
  expect(await server.app.prisma.allianceMembership.count({ where: { organizationId: org.id } })).toBe(2);

  // The coordinator of 椒江区 may take it out of 海门街道.
  const { leaveAlliance } = await jiaojiangCoordinator.query(LEAVE, { allianceId: tree.haimen.id, organizationId: org.id, on: today });
  expect(leaveAlliance.alliances).toEqual([]);
  expect(await auditRows(server, "leaveAlliance")).toBe(audits + 1);
});
