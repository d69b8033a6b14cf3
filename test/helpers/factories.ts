import { randomBytes } from "node:crypto";
import { creditCodeCheckCharacter, residentIdCheckCharacter } from "../../src/common/validators";
import type { GraphQLClient } from "./graphql";
import type { TestServer } from "./server";

let sequence = 0;
const next = () => (sequence += 1);

/** A valid 统一社会信用代码 (GB 32100-2015) under region `region` (6 digits). */
export function creditCode(region = "331081"): string {
  const serial = String(next()).padStart(8, "0") + "X";
  const first17 = `52${region}${serial}`.slice(0, 17).replace(/X$/, "0");
  return first17 + creditCodeCheckCharacter(first17);
}

/** A valid synthetic 身份证号 (GB 11643) for someone born on `birth` (YYYYMMDD). */
export function residentId(birth = "19600101", region = "331081"): string {
  const first17 = `${region}${birth}${String(next() % 1000).padStart(3, "0")}`;
  return first17 + residentIdCheckCharacter(first17);
}

export interface AllianceNode {
  id: string;
  name: string;
  regionCode: string;
  level: string;
}

const CREATE_ALLIANCE = `mutation ($input: CreateAllianceInput!) {
  createAlliance(input: $input) { id name regionCode level }
}`;

/** Creates one alliance through the API. */
export async function createAlliance(
  client: GraphQLClient,
  input: { name: string; level: string; regionCode: string; parentId?: string },
): Promise<AllianceNode> {
  const data = await client.query<{ createAlliance: AllianceNode }>(CREATE_ALLIANCE, { input });
  return data.createAlliance;
}

/**
 * The city of 台州 (331000) with two counties, 温岭市 (331081) and 椒江区 (331002), each with
 * one township and two villages: enough tree to test scope in and out of a subtree.
 */
export async function createTaizhouTree(admin: GraphQLClient) {
  const city = await createAlliance(admin, { name: "台州市", level: "CITY", regionCode: "331000" });
  const wenling = await createAlliance(admin, { name: "温岭市", level: "COUNTY", regionCode: "331081", parentId: city.id });
  const taiping = await createAlliance(admin, { name: "太平街道", level: "TOWNSHIP", regionCode: "331081001", parentId: wenling.id });
  const taipingA = await createAlliance(admin, { name: "东门村", level: "VILLAGE", regionCode: "331081001001", parentId: taiping.id });
  const taipingB = await createAlliance(admin, { name: "西门村", level: "VILLAGE", regionCode: "331081001002", parentId: taiping.id });
  const jiaojiang = await createAlliance(admin, { name: "椒江区", level: "COUNTY", regionCode: "331002", parentId: city.id });
  const haimen = await createAlliance(admin, { name: "海门街道", level: "TOWNSHIP", regionCode: "331002001", parentId: jiaojiang.id });
  const haimenA = await createAlliance(admin, { name: "海门村", level: "VILLAGE", regionCode: "331002001001", parentId: haimen.id });
  return { city, wenling, taiping, taipingA, taipingB, jiaojiang, haimen, haimenA };
}

export interface OrganizationNode {
  id: string;
  name: string;
  kind: string;
}

/** Creates an organization in the given alliances through the API. */
export async function createOrganization(
  client: GraphQLClient,
  input: { allianceIds: string[]; name?: string; kind?: string; serviceCategories?: string[]; creditCode?: string | null },
): Promise<OrganizationNode> {
  const data = await client.query<{ createOrganization: OrganizationNode }>(
    `mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) { id name kind } }`,
    {
      input: {
        name: input.name ?? `社工服务中心 ${next()}`,
        kind: input.kind ?? "SOCIAL_ORGANIZATION",
        serviceCategories: input.serviceCategories ?? ["PRECISION_ASSISTANCE"],
        creditCode: input.creditCode === undefined ? creditCode() : input.creditCode,
        allianceIds: input.allianceIds,
      },
    },
  );
  return data.createOrganization;
}

const CREATE_ACCOUNT = `mutation ($input: CreateAccountInput!) { createAccount(input: $input) { id username role } }`;

/** A signed-in COORDINATOR of `allianceId` (the account is created by the ADMIN). */
export async function coordinatorOf(server: TestServer, allianceId: string): Promise<GraphQLClient> {
  const username = `coordinator-${randomBytes(4).toString("hex")}`;
  await server.admin.query(CREATE_ACCOUNT, { input: { username, password: "password-123", role: "COORDINATOR", allianceId } });
  return server.login(username, "password-123");
}

/** A signed-in PARTNER of `organizationId` (the account is created by the ADMIN). */
export async function partnerOf(server: TestServer, organizationId: string): Promise<GraphQLClient> {
  const username = `partner-${randomBytes(4).toString("hex")}`;
  await server.admin.query(CREATE_ACCOUNT, { input: { username, password: "password-123", role: "PARTNER", organizationId } });
  return server.login(username, "password-123");
}

export interface HouseholdNode {
  id: string;
  headName: string;
  idNumber: string;
  size: number;
}

/**
 * Registers a household through the API (as ADMIN or a COORDINATOR) in a VILLAGE alliance;
 * the head gets a fresh valid 身份证号 born on `headBirth` (YYYYMMDD) unless `idNumber` is given.
 */
export async function registerHousehold(
  client: GraphQLClient,
  input: {
    allianceId: string;
    category?: string;
    headName?: string;
    headBirth?: string;
    idNumber?: string;
    members?: { name: string; birthDate: string }[];
    recognizedOn?: string;
  },
): Promise<HouseholdNode> {
  const data = await client.query<{ registerHousehold: HouseholdNode }>(
    `mutation ($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id headName idNumber size } }`,
    {
      input: {
        allianceId: input.allianceId,
        category: input.category ?? "DIBAO",
        headName: input.headName ?? `王${next()}明`,
        idNumber: input.idNumber ?? residentId(input.headBirth ?? "19600101"),
        members: input.members ?? [],
        ...(input.recognizedOn ? { recognizedOn: input.recognizedOn } : {}),
      },
    },
  );
  return data.registerHousehold;
}

/** Records a 探访关爱 visit through the API. */
export async function recordVisit(
  client: GraphQLClient,
  input: { householdId: string; visitedOn: string; organizationId?: string; happinessListDelivered?: boolean; needs?: string[]; note?: string },
): Promise<{ id: string; visitedOn: string }> {
  const data = await client.query<{ recordVisit: { id: string; visitedOn: string } }>(
    `mutation ($input: RecordVisitInput!) { recordVisit(input: $input) { id visitedOn } }`,
    { input: { happinessListDelivered: false, ...input } },
  );
  return data.recordVisit;
}

/**
 * A household written straight to the database (PII included), with `size` members, its
 * REGISTERED history entry on `recognizedOn` (default 2024-01-01) and its derived spans: what
 * registerHousehold writes, for tests that need many households or a recognition day in the past.
 */
export async function insertHousehold(
  server: TestServer,
  input: { allianceId: string; category?: string; size?: number; headName?: string; idNumber?: string; recognizedOn?: string },
): Promise<{ id: string; headName: string }> {
  const prisma = server.app.prisma;
  const recognizedOn = new Date(`${input.recognizedOn ?? "2024-01-01"}T00:00:00Z`);
  const size = input.size ?? 2;
  const headName = input.headName ?? "张小明";
  const household = await prisma.household.create({
    data: {
      allianceId: input.allianceId,
      category: (input.category ?? "DIBAO") as never,
      headName,
      idNumber: input.idNumber ?? residentId("19580302"),
      size,
      recognizedOn,
      members: {
        create: Array.from({ length: size }, (_, i) => ({
          name: i === 0 ? headName : `${headName.slice(0, 1)}成员${i}`,
          birthDate: new Date(Date.UTC(1958 + i * 20, 2, 2)),
          joinedOn: recognizedOn,
        })),
      },
    },
    select: { id: true, headName: true },
  });
  await prisma.householdCategoryChange.create({
    data: { householdId: household.id, kind: "REGISTERED", category: (input.category ?? "DIBAO") as never, effectiveOn: recognizedOn },
  });
  await prisma.$executeRaw`SELECT refresh_household_state(ARRAY[${household.id}::uuid])`;
  return household;
}
