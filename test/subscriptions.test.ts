import { LiveSockets, type AccountStates, type Viewer } from "../src/auth";
import { createLogger } from "../src/common/logger";
import { coordinatorOf, createOrganization, createTaizhouTree, partnerOf, registerHousehold, type OrganizationNode } from "./helpers/factories";
import { GraphQLClient, type GraphQLResponse, type Subscription } from "./helpers/graphql";
import { startSecondInstance, startTestServer, stopAll } from "./helpers/server";
import { CANCEL, CLAIM, createServiceRequest, insertHousehold, RELEASE } from "./helpers/service-requests";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;
let jiaojiangCoordinator: GraphQLClient;
/** Member of 太平街道 (a township of 温岭市): offers ELDERLY_CARE and MEDICAL_SUPPORT. */
let taipingOrg: OrganizationNode;
let taipingPartner: GraphQLClient;
/** Member of 东门村 (a village of 太平街道): offers ELDERLY_CARE. */
let villagePartner: GraphQLClient;

const EVENTS = `subscription ($filter: ServiceRequestSubscriptionFilter) {
  serviceRequestEvents(filter: $filter) {
    kind occurredAt
    request { id title status category alliance { id } claimedBy { id } household { id headName idNumber } }
  }
}`;

type Event = { serviceRequestEvents: { kind: string; request: Record<string, any> } };

const subscribe = (client: GraphQLClient, filter?: Record<string, unknown>) => client.subscribe<Event>(EVENTS, filter ? { filter } : {});

/** Waits until the subscription fails or the socket closes; returns what ended it. */
async function failureOf(subscription: Subscription<Event>, timeout = 5000): Promise<{ error?: any; response?: GraphQLResponse<Event> }> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (subscription.error) return { error: subscription.error };
    const [response] = await subscription.drain(50);
    if (response?.errors) return { response };
    if (response) throw new Error(`Expected a failure, got ${JSON.stringify(response)}`);
  }
  throw new Error("The subscription neither failed nor closed");
}

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
  jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
  taipingOrg = await createOrganization(server.admin, {
    name: "太平社工站",
    allianceIds: [tree.taiping.id],
    serviceCategories: ["ELDERLY_CARE", "MEDICAL_SUPPORT"],
  });
  const villageOrg = await createOrganization(server.admin, { allianceIds: [tree.taipingA.id], serviceCategories: ["ELDERLY_CARE"] });
  taipingPartner = await partnerOf(server, taipingOrg.id);
  villagePartner = await partnerOf(server, villageOrg.id);
}, 120_000);
afterAll(() => stopAll(server));

test("a partner subscribed to its township gets a request created in one of its villages within a second, not one from another county", async () => {
  const events = subscribe(taipingPartner, { allianceId: tree.taiping.id });
  const unfiltered = subscribe(taipingPartner);
  await Promise.all([events.ready(), unfiltered.ready()]);

  await createServiceRequest(jiaojiangCoordinator, { allianceId: tree.haimenA.id, title: "海门村的需求" });
  const created = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, title: "东门村的需求" });

  const event = await events.next(1000);
  expect(event.data?.serviceRequestEvents).toMatchObject({
    kind: "CREATED",
    request: { id: created.id, title: "东门村的需求", status: "OPEN", alliance: { id: tree.taipingA.id }, claimedBy: null },
  });
  expect((await unfiltered.next(1000)).data?.serviceRequestEvents.request.id).toBe(created.id);
  expect(await events.drain(300)).toEqual([]);
  expect(await unfiltered.drain(0)).toEqual([]);
  await Promise.all([events.close(), unfiltered.close()]);
});

test("a coordinator follows a request through every kind of event, in order", async () => {
  const household = await insertHousehold(server, { allianceId: tree.taipingA.id, headName: "李大伯" });
  const events = subscribe(wenlingCoordinator, { allianceId: tree.taipingA.id });
  await events.ready();

  const request = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, householdId: household.id, title: "全程" });
  await taipingPartner.query(CLAIM, { id: request.id });
  await taipingPartner.query(RELEASE, { id: request.id });
  await taipingPartner.query(CLAIM, { id: request.id });
  const project = await server.admin.query(
    `mutation ($input: CreateServiceProjectInput!) { createServiceProject(input: $input) { id } }`,
    {
      input: {
        name: "太平助老",
        allianceId: tree.taiping.id,
        category: "ELDERLY_CARE",
        leadOrganizationId: taipingOrg.id,
        startDate: "2025-01-01",
        budget: "10000.00",
      },
    },
  );
  await taipingPartner.query(
    `mutation ($input: RecordServiceInput!) { recordService(input: $input) { id } }`,
    {
      input: {
        projectId: project.createServiceProject.id,
        householdId: household.id,
        organizationId: taipingOrg.id,
        servedOn: "2025-06-01",
        serviceRequestId: request.id,
      },
    },
  );
  const other = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, title: "取消的" });
  await wenlingCoordinator.query(CANCEL, { id: other.id, reason: "已由家属解决" });

  const received: [string, string, string][] = [];
  for (let i = 0; i < 7; i += 1) {
    const { kind, request: r } = (await events.next(2000)).data!.serviceRequestEvents;
    received.push([kind, r.title, r.status]);
  }
  expect(received).toEqual([
    ["CREATED", "全程", "OPEN"],
    ["CLAIMED", "全程", "CLAIMED"],
    ["RELEASED", "全程", "OPEN"],
    ["CLAIMED", "全程", "CLAIMED"],
    ["FULFILLED", "全程", "FULFILLED"],
    ["CREATED", "取消的", "OPEN"],
    ["CANCELLED", "取消的", "CANCELLED"],
  ]);
  await events.close();
});

test("masking over the subscription: a partner sees the household's PII only while its organization holds the claim", async () => {
  const household = await insertHousehold(server, { allianceId: tree.taipingA.id, headName: "张小明" });
  const claimer = subscribe(taipingPartner, { allianceId: tree.taipingA.id });
  const bystander = subscribe(villagePartner);
  const coordinator = subscribe(wenlingCoordinator, { allianceId: tree.taipingA.id });
  await Promise.all([claimer.ready(), bystander.ready(), coordinator.ready()]);

  const request = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, householdId: household.id });
  const headNames = async (kind: string) => {
    const names: string[] = [];
    for (const subscription of [claimer, bystander, coordinator]) {
      const event = (await subscription.next(2000)).data!.serviceRequestEvents;
      expect(event.kind).toBe(kind);
      expect(event.request.household.id).toBe(household.id);
      names.push(event.request.household.headName);
    }
    return names;
  };
  expect(await headNames("CREATED")).toEqual(["张**", "张**", "张小明"]);
  await taipingPartner.query(CLAIM, { id: request.id });
  expect(await headNames("CLAIMED")).toEqual(["张小明", "张**", "张小明"]);
  await taipingPartner.query(RELEASE, { id: request.id });
  expect(await headNames("RELEASED")).toEqual(["张**", "张**", "张小明"]);
  await Promise.all([claimer.close(), bystander.close(), coordinator.close()]);
});

test("filters: kinds, categories and a subtree narrow what arrives", async () => {
  const claimedOnly = subscribe(wenlingCoordinator, { kinds: ["CLAIMED"] });
  const medicalOnly = subscribe(wenlingCoordinator, { category: ["MEDICAL_SUPPORT"] });
  const villageB = subscribe(wenlingCoordinator, { allianceId: tree.taipingB.id });
  await Promise.all([claimedOnly.ready(), medicalOnly.ready(), villageB.ready()]);

  const care = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, category: "ELDERLY_CARE" });
  const medical = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingB.id, category: "MEDICAL_SUPPORT" });
  await taipingPartner.query(CLAIM, { id: care.id });

  const claimed = (await claimedOnly.next(2000)).data!.serviceRequestEvents;
  expect([claimed.kind, claimed.request.id]).toEqual(["CLAIMED", care.id]);
  const med = (await medicalOnly.next(2000)).data!.serviceRequestEvents;
  expect([med.kind, med.request.id]).toEqual(["CREATED", medical.id]);
  const inB = (await villageB.next(2000)).data!.serviceRequestEvents;
  expect([inB.kind, inB.request.id]).toEqual(["CREATED", medical.id]);
  for (const subscription of [claimedOnly, medicalOnly, villageB]) {
    expect(await subscription.drain(200)).toEqual([]);
    await subscription.close();
  }
});

test("a failed mutation publishes nothing, and neither does a replayed create", async () => {
  const household = await insertHousehold(server, { allianceId: tree.haimenA.id });
  // Not the ADMIN: in server mode other test files publish to the same Redis, and only a
  // subscriber scoped to this file's alliances is sure to see none of their events.
  const events = subscribe(await coordinatorOf(server, tree.city.id));
  await events.ready();
  const request = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, title: "只发一次", idempotencyKey: "once" });
  await taipingPartner.query(CLAIM, { id: request.id });
  expect((await events.next(2000)).data!.serviceRequestEvents.kind).toBe("CREATED");
  expect((await events.next(2000)).data!.serviceRequestEvents.kind).toBe("CLAIMED");

  await villagePartner.expectError("CONFLICT", CLAIM, { id: request.id });
  await villagePartner.expectError("FORBIDDEN", RELEASE, { id: request.id });
  await wenlingCoordinator.expectError("BAD_USER_INPUT", CANCEL, { id: request.id, reason: "" });
  await wenlingCoordinator.expectError(
    "BAD_USER_INPUT",
    `mutation ($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id } }`,
    { input: { allianceId: tree.taipingA.id, householdId: household.id, category: "ELDERLY_CARE", title: "错的户" } },
  );
  const replay = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, title: "只发一次", idempotencyKey: "once" });
  expect(replay.id).toBe(request.id);

  expect(await events.drain(500)).toEqual([]);
  await events.close();
});

test("a subscription filter on an alliance outside the caller's scope fails with FORBIDDEN", async () => {
  const events = subscribe(taipingPartner, { allianceId: tree.haimen.id });
  const { response, error } = await failureOf(events);
  const code = response?.errors?.[0]?.extensions?.code ?? (error as any)?.[0]?.extensions?.code;
  expect(code).toBe("FORBIDDEN");
  await events.close();
});

test("a bad token or none: the socket is closed with 4403", async () => {
  for (const client of [new GraphQLClient(server.url, server.wsUrl, "not-a-token"), server.anonymous]) {
    const events = subscribe(client);
    const { error } = await failureOf(events);
    expect(error.code).toBe(4403);
    await events.close();
  }
});

test("an event raised on one instance reaches subscribers on every instance", async () => {
  const second = await startSecondInstance(server);
  try {
    const onSecond = subscribe(new GraphQLClient(second.url, second.wsUrl, taipingPartner.token));
    const onFirst = subscribe(taipingPartner);
    await Promise.all([onSecond.ready(), onFirst.ready()]);

    const fromFirst = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingB.id, title: "第一实例" });
    const secondCoordinator = new GraphQLClient(second.url, second.wsUrl, wenlingCoordinator.token);
    const fromSecond = await createServiceRequest(secondCoordinator, { allianceId: tree.taipingB.id, title: "第二实例" });
    await createServiceRequest(jiaojiangCoordinator, { allianceId: tree.haimenA.id, title: "别的县" });

    for (const subscription of [onSecond, onFirst]) {
      const titles = [(await subscription.next(2000)).data!, (await subscription.next(2000)).data!].map(
        (d) => d.serviceRequestEvents.request.title,
      );
      expect(titles.sort()).toEqual([fromFirst.title, fromSecond.title].sort());
      expect(await subscription.drain(300)).toEqual([]);
      await subscription.close();
    }
  } finally {
    await second.close();
  }
});

const CREATE_ID = `mutation ($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id } }`;
const CLAIM_ID = `mutation ($id: ID!) { claimServiceRequest(id: $id) { id } }`;

async function accountId(client: GraphQLClient): Promise<string> {
  return (await client.query(`{ me { id } }`)).me.id;
}

test("subscribers who may see the same get the same event, and each unmasked read is recorded under the subscriber's own account", async () => {
  const household = await registerHousehold(wenlingCoordinator, {
    allianceId: tree.taipingA.id,
    headName: "王小红",
    headBirth: "19600101",
    members: [{ name: "李二", birthDate: "1990-05-01" }],
  });
  const colleague = await partnerOf(server, taipingOrg.id);
  const DETAILED = `subscription { serviceRequestEvents(filter: { allianceId: "${tree.taipingA.id}" }) { kind request {
    alliance { id } claimedBy { id } raisedBy { account { id } organization { id } }
    household { id headName idNumber members { name } alliance { id } } } } }`;
  const subscriptions = [taipingPartner, taipingPartner, colleague, villagePartner, wenlingCoordinator].map((client) => client.subscribe<Event>(DETAILED));
  await Promise.all(subscriptions.map((s) => s.ready()));
  const raiser = await accountId(wenlingCoordinator);
  const received = async (kind: string, claimedBy: string | null) => {
    const shown: string[] = [];
    for (const subscription of subscriptions) {
      const event = (await subscription.next(2000)).data!.serviceRequestEvents;
      expect(event.kind).toBe(kind);
      expect(event.request).toMatchObject({
        alliance: { id: tree.taipingA.id },
        claimedBy: claimedBy ? { id: claimedBy } : null,
        raisedBy: { account: { id: raiser }, organization: null },
        household: { id: household.id, alliance: { id: tree.taipingA.id } },
      });
      const { headName, idNumber, members } = event.request.household;
      expect(idNumber === household.idNumber).toBe(headName === "王小红");
      shown.push([headName, ...members.map((m: { name: string }) => m.name)].join(" "));
    }
    return shown;
  };

  const { createServiceRequest: request } = await wenlingCoordinator.query(CREATE_ID, {
    input: { allianceId: tree.taipingA.id, householdId: household.id, category: "ELDERLY_CARE", title: "同一组织的两个账号" },
  });
  expect(await received("CREATED", null)).toEqual(["王** 王** 李**", "王** 王** 李**", "王** 王** 李**", "王** 王** 李**", "王小红 王小红 李二"]);
  await taipingPartner.query(CLAIM_ID, { id: request.id });
  // Both accounts of the claiming organization see the names; the village's partner does not.
  expect(await received("CLAIMED", taipingOrg.id)).toEqual(["王小红 王小红 李二", "王小红 王小红 李二", "王小红 王小红 李二", "王** 王** 李**", "王小红 王小红 李二"]);
  await Promise.all(subscriptions.map((s) => s.close()));

  const partners = new Map([
    [await accountId(taipingPartner), 2],
    [await accountId(colleague), 1],
  ]);
  const partnerRows = async () =>
    (await server.app.prisma.personalDataAccess.findMany({ where: { householdId: household.id, accountId: { in: [...partners.keys()] } } })).map(
      (row) => [row.accountId, row.count, row.ground] as const,
    );
  const deadline = Date.now() + 5000;
  let rows = await partnerRows();
  while (rows.length < partners.size && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    rows = await partnerRows();
  }
  expect(new Map(rows.map(([account, count]) => [account, count]))).toEqual(partners);
  expect(rows.every(([, , ground]) => ground === "CLAIMED")).toBe(true);
});

test("the SQL statements of a live event do not grow with its subscribers", async () => {
  const secondCoordinator = await coordinatorOf(server, tree.wenling.id);
  const statementsOfOneEvent = async (subscribers: GraphQLClient[]) => {
    const household = await insertHousehold(server, { allianceId: tree.taipingA.id });
    const subscriptions = subscribers.map((client) => subscribe(client));
    await Promise.all(subscriptions.map((s) => s.ready()));
    // Subscribing reads the subscriber's scope: let that be done before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = server.statements();
    await wenlingCoordinator.query(CREATE_ID, { input: { allianceId: tree.taipingA.id, householdId: household.id, category: "ELDERLY_CARE", title: "计数" } });
    for (const subscription of subscriptions) expect((await subscription.next(2000)).data!.serviceRequestEvents.request.household.id).toBe(household.id);
    // The access record of the event's unmasked reads is written within a second.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const used = server.statements() - before;
    await Promise.all(subscriptions.map((s) => s.close()));
    return used;
  };

  const few = await statementsOfOneEvent([wenlingCoordinator, taipingPartner]);
  const many = await statementsOfOneEvent([
    wenlingCoordinator,
    wenlingCoordinator,
    secondCoordinator,
    taipingPartner,
    taipingPartner,
    villagePartner,
    server.admin,
    server.admin,
  ]);
  expect(many).toBe(few);
});

test("a socket opened while the token sweep reads the accounts' states is left open", async () => {
  let answer: (states: Map<string, { active: boolean; tokenVersion: number } | null>) => void = () => undefined;
  const states = { refresh: () => new Promise((resolve) => (answer = resolve)) } as unknown as AccountStates;
  const sockets = new LiveSockets(states, createLogger("silent"), 10, 3_600_000);
  const viewer = (accountId: string): Viewer => ({ accountId, role: "ADMIN", allianceId: null, organizationId: null, requestId: "test", tokenVersion: 1 });
  const closed: string[] = [];
  try {
    sockets.add(viewer("first"), { close: (code) => closed.push(`first ${code}`) });
    const sweep = sockets.sweep();
    sockets.add(viewer("second"), { close: (code) => closed.push(`second ${code}`) });
    answer(new Map([["first", { active: true, tokenVersion: 1 }]]));
    await sweep;
    expect(closed).toEqual([]);

    const next = sockets.sweep();
    answer(new Map([["first", { active: true, tokenVersion: 1 }], ["second", null]]));
    await next;
    expect(closed).toEqual(["second 4403"]);
  } finally {
    sockets.stop();
  }
});

test("a client resuming with `after` while a live event is being prepared gets it once, after what it missed", async () => {
  const EVENTS_AFTER = `subscription ($after: String) { serviceRequestEvents(after: $after, filter: { allianceId: "${tree.taipingB.id}" }) { id kind request { title } } }`;
  const live = wenlingCoordinator.subscribe<{ serviceRequestEvents: { id: string; request: { title: string } } }>(EVENTS_AFTER);
  await live.ready();
  await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingB.id, title: "恢复前" });
  const seen = (await live.next(2000)).data!.serviceRequestEvents;
  await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingB.id, title: "错过的" });
  expect((await live.next(2000)).data!.serviceRequestEvents.request.title).toBe("错过的");

  // Hold the next batch in its preparation while the resuming client subscribes.
  const { feed } = server.app.deps.pubsub;
  let preparing: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (preparing = resolve));
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  feed.prepareWith("SERVICE_REQUEST_EVENTS", async () => {
    preparing();
    await released;
  });
  await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingB.id, title: "准备中" });
  await started;
  const resumed = wenlingCoordinator.subscribe<{ serviceRequestEvents: { id: string; request: { title: string } } }>(EVENTS_AFTER, { after: seen.id });
  await resumed.ready();
  release();

  const titles = async (subscription: Subscription<{ serviceRequestEvents: { request: { title: string } } }>, count: number) => {
    const got: string[] = [];
    for (let i = 0; i < count; i += 1) got.push((await subscription.next(3000)).data!.serviceRequestEvents.request.title);
    return got;
  };
  expect(await titles(resumed, 2)).toEqual(["错过的", "准备中"]);
  expect(await titles(live, 1)).toEqual(["准备中"]);
  expect(await resumed.drain(300)).toEqual([]);
  expect(await live.drain(0)).toEqual([]);
  await Promise.all([live.close(), resumed.close()]);
});
