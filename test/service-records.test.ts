import { coordinatorOf, createOrganization, createTaizhouTree, partnerOf, registerHousehold, type HouseholdNode, type OrganizationNode } from "./helpers/factories";
import type { GraphQLClient } from "./helpers/graphql";
import { countRows, createServiceProject } from "./helpers/projects";
import { CLAIM, createServiceRequest } from "./helpers/service-requests";
import { startTestServer, stopAll } from "./helpers/server";

/** Setup signs in several accounts (argon2) and may start servers: generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;
let jiaojiangCoordinator: GraphQLClient;
/** Leads the project (member of 温岭市). */
let leadOrg: OrganizationNode;
/** Partners in the project (member of 太平街道). */
let partnerOrg: OrganizationNode;
/** Member of 太平街道, not in the project. */
let bystanderOrg: OrganizationNode;
let partnerClient: GraphQLClient;
let bystanderClient: GraphQLClient;
let project: { id: string };
let household: HouseholdNode;
let neighbour: HouseholdNode;
let eastHousehold: HouseholdNode;

const RECORD = `mutation ($input: RecordServiceInput!) {
  recordService(input: $input) {
    id servedOn note
    project { id servedHouseholdTimes servedHouseholds }
    household { id headName }
    organization { id name }
  }
}`;
const SERVED = `query ($id: ID!) { project(id: $id) { servedHouseholdTimes servedHouseholds } }`;

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
  jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
  leadOrg = await createOrganization(server.admin, { allianceIds: [tree.wenling.id], name: "温岭市社工协会" });
  partnerOrg = await createOrganization(server.admin, { allianceIds: [tree.taiping.id], name: "太平义工队", kind: "VOLUNTEER_TEAM" });
  bystanderOrg = await createOrganization(server.admin, { allianceIds: [tree.taiping.id], name: "太平商会", kind: "ENTERPRISE" });
  partnerClient = await partnerOf(server, partnerOrg.id);
  bystanderClient = await partnerOf(server, bystanderOrg.id);
  project = await createServiceProject(wenlingCoordinator, {
    allianceId: tree.taiping.id,
    leadOrganizationId: leadOrg.id,
    partnerIds: [partnerOrg.id],
  });
  household = await registerHousehold(wenlingCoordinator, { allianceId: tree.taipingA.id, headName: "陈阿婆" });
  neighbour = await registerHousehold(wenlingCoordinator, { allianceId: tree.taipingB.id });
  eastHousehold = await registerHousehold(jiaojiangCoordinator, { allianceId: tree.haimenA.id });
}, SETUP_TIMEOUT);
afterAll(() => stopAll(server));

function recordInput(overrides: Record<string, unknown> = {}) {
  return { projectId: project.id, householdId: household.id, organizationId: leadOrg.id, servedOn: "2025-05-20", ...overrides };
}

describe("recordService", () => {
  test("a coordinator records 户次 for the lead; servedHouseholdTimes counts records, servedHouseholds distinct households", async () => {
    const fresh = await createServiceProject(wenlingCoordinator, { allianceId: tree.taiping.id, leadOrganizationId: leadOrg.id, partnerIds: [partnerOrg.id] });
    const first = await wenlingCoordinator.query(RECORD, { input: recordInput({ projectId: fresh.id, note: "送餐上门" }) });
    expect(first.recordService).toMatchObject({
      servedOn: "2025-05-20",
      note: "送餐上门",
      project: { id: fresh.id, servedHouseholdTimes: 1, servedHouseholds: 1 },
      household: { id: household.id, headName: "陈阿婆" },
      organization: { id: leadOrg.id, name: "温岭市社工协会" },
    });
    await wenlingCoordinator.query(RECORD, { input: recordInput({ projectId: fresh.id, servedOn: "2025-05-27" }) });
    await wenlingCoordinator.query(RECORD, { input: recordInput({ projectId: fresh.id, householdId: neighbour.id, organizationId: partnerOrg.id }) });
    expect((await server.admin.query(SERVED, { id: fresh.id })).project).toEqual({ servedHouseholdTimes: 3, servedHouseholds: 2 });
  });

  test("a PARTNER records for its own organization on a project it partners in, and sees names masked", async () => {
    const data = await partnerClient.query(RECORD, { input: recordInput({ organizationId: partnerOrg.id }) });
    expect(data.recordService.organization.id).toBe(partnerOrg.id);
    expect(data.recordService.household.headName).not.toBe("陈阿婆");
    expect(data.recordService.household.headName).toMatch(/^陈\*/);
  });

  test("a retry with the same idempotencyKey is one 户次, not two", async () => {
    const fresh = await createServiceProject(wenlingCoordinator, { allianceId: tree.taiping.id, leadOrganizationId: leadOrg.id, partnerIds: [partnerOrg.id] });
    const input = recordInput({ projectId: fresh.id, organizationId: partnerOrg.id, idempotencyKey: "mobile-7f3a" });
    const results = await Promise.all([1, 2, 3].map(() => partnerClient.query(RECORD, { input })));
    const again = await partnerClient.query(RECORD, { input });
    expect(new Set([...results, again].map((r) => r.recordService.id)).size).toBe(1);
    expect(await countRows(server, "service_record", `project_id = '${fresh.id}'`)).toBe(1);
    expect((await server.admin.query(SERVED, { id: fresh.id })).project).toEqual({ servedHouseholdTimes: 1, servedHouseholds: 1 });
  });

  describe("refusals write nothing", () => {
    let before: number;
    beforeEach(async () => {
      before = await countRows(server, "service_record");
    });
    afterEach(async () => {
      expect(await countRows(server, "service_record")).toBe(before);
    });

    test("a PARTNER may record only for its own organization", async () => {
      await partnerClient.expectError("FORBIDDEN", RECORD, { input: recordInput({ organizationId: leadOrg.id }) });
    });

    test("a PARTNER whose organization is not in the project is FORBIDDEN", async () => {
      await bystanderClient.expectError("FORBIDDEN", RECORD, { input: recordInput({ organizationId: bystanderOrg.id }) });
    });

    test("the serving organization must lead or partner in the project", async () => {
      const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", RECORD, { input: recordInput({ organizationId: bystanderOrg.id }) });
      expect(error.extensions?.field).toBe("organizationId");
      await wenlingCoordinator.expectError("BAD_USER_INPUT", RECORD, {
        input: recordInput({ organizationId: "00000000-0000-4000-8000-000000000000" }),
      });
    });

    test("the household must exist and live in the project's alliance or below it", async () => {
      const outside = await server.admin.expectError("BAD_USER_INPUT", RECORD, { input: recordInput({ householdId: eastHousehold.id }) });
      expect(outside.error.extensions?.field).toBe("householdId");
      const missing = await server.admin.expectError("BAD_USER_INPUT", RECORD, {
        input: recordInput({ householdId: "00000000-0000-4000-8000-000000000000" }),
      });
      expect(missing.error.extensions?.field).toBe("householdId");
    });

    test("servedOn may not be in the future", async () => {
      const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", RECORD, { input: recordInput({ servedOn: "2999-01-01" }) });
      expect(error.extensions?.field).toBe("servedOn");
    });

    test("a coordinator of 椒江区 cannot record on a 温岭市 project; unknown projects are NOT_FOUND", async () => {
      await jiaojiangCoordinator.expectError("FORBIDDEN", RECORD, { input: recordInput() });
      await server.admin.expectError("NOT_FOUND", RECORD, { input: recordInput({ projectId: "00000000-0000-4000-8000-000000000000" }) });
      await server.admin.expectError("BAD_USER_INPUT", RECORD, { input: recordInput({ projectId: "nope" }) });
    });
  });
});

describe("recordService fulfils a claimed service request", () => {
  const REQUEST = `query ($id: ID!) { serviceRequest(id: $id) { id status fulfilledAt claimedBy { id } } }`;

  test("the request claimed by the serving organization becomes FULFILLED with the record, and subscribers hear it", async () => {
    const request = await createServiceRequest(wenlingCoordinator, {
      allianceId: tree.taipingA.id,
      householdId: household.id,
      category: "PRECISION_ASSISTANCE",
    });
    await partnerClient.query(CLAIM, { id: request.id });
    const events = wenlingCoordinator.subscribe(
      `subscription { serviceRequestEvents(filter: { kinds: [FULFILLED] }) { kind request { id status } } }`,
    );
    try {
      await events.ready();
      const data = await partnerClient.query(RECORD, { input: recordInput({ organizationId: partnerOrg.id, serviceRequestId: request.id }) });
      const stored = await server.app.prisma.serviceRecord.findUniqueOrThrow({ where: { id: data.recordService.id } });
      expect(stored.serviceRequestId).toBe(request.id);
      const read = await wenlingCoordinator.query(REQUEST, { id: request.id });
      expect(read.serviceRequest).toMatchObject({ status: "FULFILLED", fulfilledAt: expect.any(String) });
      const event = await events.next(5000);
      expect(event.data?.serviceRequestEvents).toEqual({ kind: "FULFILLED", request: { id: request.id, status: "FULFILLED" } });
    } finally {
      await events.close();
    }
  });

  test("a request that is not claimed by the serving organization is a CONFLICT and nothing is written", async () => {
    const open = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, householdId: household.id, category: "PRECISION_ASSISTANCE" });
    const leadClaimed = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, householdId: household.id, category: "PRECISION_ASSISTANCE" });
    const leadClient = await partnerOf(server, leadOrg.id);
    await leadClient.query(CLAIM, { id: leadClaimed.id });
    const before = await countRows(server, "service_record");

    await partnerClient.expectError("CONFLICT", RECORD, { input: recordInput({ organizationId: partnerOrg.id, serviceRequestId: open.id }) });
    await partnerClient.expectError("CONFLICT", RECORD, { input: recordInput({ organizationId: partnerOrg.id, serviceRequestId: leadClaimed.id }) });
    expect(await countRows(server, "service_record")).toBe(before);
    expect((await wenlingCoordinator.query(REQUEST, { id: open.id })).serviceRequest.status).toBe("OPEN");
    expect((await wenlingCoordinator.query(REQUEST, { id: leadClaimed.id })).serviceRequest).toMatchObject({
      status: "CLAIMED",
      claimedBy: { id: leadOrg.id },
    });

    // The lead fulfils its own claim once; a second record naming the same request is a CONFLICT.
    await leadClient.query(RECORD, { input: recordInput({ organizationId: leadOrg.id, serviceRequestId: leadClaimed.id }) });
    await leadClient.expectError("CONFLICT", RECORD, { input: recordInput({ organizationId: leadOrg.id, serviceRequestId: leadClaimed.id }) });
    expect(await countRows(server, "service_record")).toBe(before + 1);
  });

  test("a request the caller cannot read is FORBIDDEN before its status is told, an unknown one NOT_FOUND; nothing is written", async () => {
    const eastOrg = await createOrganization(server.admin, { allianceIds: [tree.haimen.id], name: "海门义工队" });
    const eastPartner = await partnerOf(server, eastOrg.id);
    const eastOpen = await createServiceRequest(jiaojiangCoordinator, { allianceId: tree.haimenA.id, category: "PRECISION_ASSISTANCE" });
    const eastClaimed = await createServiceRequest(jiaojiangCoordinator, { allianceId: tree.haimenA.id, category: "PRECISION_ASSISTANCE" });
    const eastFulfilled = await createServiceRequest(jiaojiangCoordinator, { allianceId: tree.haimenA.id, category: "PRECISION_ASSISTANCE" });
    await eastPartner.query(CLAIM, { id: eastClaimed.id });
    await eastPartner.query(CLAIM, { id: eastFulfilled.id });
    await server.app.prisma.serviceRequest.update({ where: { id: eastFulfilled.id }, data: { status: "FULFILLED", fulfilledAt: new Date() } });
    const before = await countRows(server, "service_record");
    const statuses = async () =>
      (await server.app.prisma.serviceRequest.findMany({ where: { id: { in: [eastOpen.id, eastClaimed.id, eastFulfilled.id] } }, orderBy: { id: "asc" } })).map(
        (r) => r.status,
      );
    const statusesBefore = await statuses();

    for (const request of [eastOpen, eastClaimed, eastFulfilled]) {
      for (const [client, organizationId] of [
        [partnerClient, partnerOrg.id],
        [wenlingCoordinator, leadOrg.id],
      ] as const) {
        const { error } = await client.expectError("FORBIDDEN", RECORD, { input: recordInput({ organizationId, serviceRequestId: request.id }) });
        expect(error.message).not.toMatch(/OPEN|CLAIMED|FULFILLED|claimed/);
        expect(error.extensions?.status).toBeUndefined();
      }
    }
    await partnerClient.expectError("NOT_FOUND", RECORD, {
      input: recordInput({ organizationId: partnerOrg.id, serviceRequestId: "00000000-0000-4000-8000-000000000000" }),
    });
    expect(await countRows(server, "service_record")).toBe(before);
    expect(await statuses()).toEqual(statusesBefore);

    // A coordinator records against a request in its subtree, claimed by the serving organization.
    const own = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, householdId: household.id, category: "PRECISION_ASSISTANCE" });
    const leadClient = await partnerOf(server, leadOrg.id);
    await leadClient.query(CLAIM, { id: own.id });
    await wenlingCoordinator.query(RECORD, { input: recordInput({ organizationId: leadOrg.id, serviceRequestId: own.id }) });
    expect((await wenlingCoordinator.query(REQUEST, { id: own.id })).serviceRequest.status).toBe("FULFILLED");
  });

  test("a request for another household is BAD_USER_INPUT and stays CLAIMED", async () => {
    const request = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingB.id, householdId: neighbour.id, category: "PRECISION_ASSISTANCE" });
    await partnerClient.query(CLAIM, { id: request.id });
    const before = await countRows(server, "service_record");
    await partnerClient.expectError("BAD_USER_INPUT", RECORD, {
      input: recordInput({ organizationId: partnerOrg.id, householdId: household.id, serviceRequestId: request.id }),
    });
    expect(await countRows(server, "service_record")).toBe(before);
    expect((await wenlingCoordinator.query(REQUEST, { id: request.id })).serviceRequest.status).toBe("CLAIMED");
  });
});
