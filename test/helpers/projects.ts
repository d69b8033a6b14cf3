import type { GraphQLClient } from "./graphql";
import type { TestServer } from "./server";

let sequence = 0;

export const PROJECT_FIELDS = `id name category status startDate endDate budget
  alliance { id name } leadOrganization { id name } partners { id name }`;

export interface ProjectNode {
  id: string;
  name: string;
  category: string;
  status: string;
  startDate: string;
  endDate: string | null;
  budget: string;
  alliance: { id: string; name: string };
  leadOrganization: { id: string; name: string };
  partners: { id: string; name: string }[];
}

export const CREATE_PROJECT = `mutation ($input: CreateServiceProjectInput!) {
  createServiceProject(input: $input) { ${PROJECT_FIELDS} }
}`;

/** Creates a service project through the API (as ADMIN or a COORDINATOR). */
export async function createServiceProject(
  client: GraphQLClient,
  input: {
    allianceId: string;
    leadOrganizationId: string;
    partnerIds?: string[];
    name?: string;
    category?: string;
    startDate?: string;
    endDate?: string | null;
    budget?: string;
    idempotencyKey?: string;
  },
): Promise<ProjectNode> {
  sequence += 1;
  const data = await client.query<{ createServiceProject: ProjectNode }>(CREATE_PROJECT, {
    input: {
      name: `助联项目 ${sequence}`,
      category: "PRECISION_ASSISTANCE",
      startDate: "2025-01-01",
      budget: "100000.00",
      ...input,
    },
  });
  return data.createServiceProject;
}

export const SET_STATUS = `mutation ($projectId: ID!, $status: ProjectStatus!) {
  setProjectStatus(projectId: $projectId, status: $status) { id status }
}`;

export const FUNDING_FIELDS = `id source amount receivedOn note project { id } grant { id code allocated remaining }`;

export const ADD_FUNDING = `mutation ($input: AddFundingInput!) { addFunding(input: $input) { ${FUNDING_FIELDS} } }`;

export const ALLOCATE = `mutation ($input: AllocateGrantInput!) { allocateGrant(input: $input) { ${FUNDING_FIELDS} } }`;

export const GRANT_FIELDS = `id code level year amount allocated remaining alliance { id name }
  allocations { id amount project { id } }`;

export interface GrantNode {
  id: string;
  code: string;
  level: string;
  year: number;
  amount: string;
  allocated: string;
  remaining: string;
  alliance: { id: string; name: string };
  allocations: { id: string; amount: string; project: { id: string } }[];
}

export const CREATE_GRANT = `mutation ($input: CreateGrantInput!) { createGrant(input: $input) { ${GRANT_FIELDS} } }`;

/** Creates a welfare-lottery grant through the API (ADMIN only). */
export async function createGrant(
  admin: GraphQLClient,
  input: { allianceId: string; amount: string; code?: string; level?: string; year?: number },
): Promise<GrantNode> {
  sequence += 1;
  const data = await admin.query<{ createGrant: GrantNode }>(CREATE_GRANT, {
    input: { code: `台民福〔2025〕${sequence}-${Date.now() % 100000}号`, level: "MUNICIPAL", year: 2025, ...input },
  });
  return data.createGrant;
}

/** Rows in a table, counted straight in the database (what was, or was not, written). */
export async function countRows(server: TestServer, table: "funding" | "service_project" | "project_partner" | "service_record" | "welfare_lottery_grant", where = "TRUE"): Promise<number> {
  const rows = await server.app.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`);
  return Number(rows[0].n);
}
