import { insertHousehold as insertHouseholdRow, residentId } from "./factories";
import type { GraphQLClient } from "./graphql";
import type { TestServer } from "./server";

export const REQUEST_FIELDS = `id title category urgency status createdAt claimedAt fulfilledAt cancelledAt cancelReason
  alliance { id } claimedBy { id name } household { id headName }`;

export interface RequestNode {
  id: string;
  title: string;
  category: string;
  urgency: string;
  status: string;
  createdAt: string;
  claimedAt: string | null;
  cancelReason: string | null;
  alliance: { id: string };
  claimedBy: { id: string; name: string } | null;
  household: { id: string; headName: string } | null;
}

let sequence = 0;

/** A household written straight to the database (PII included), in a VILLAGE alliance. */
export function insertHousehold(
  server: TestServer,
  input: { allianceId: string; headName?: string; category?: "DIBAO" | "DIBAO_MARGINAL" | "EXTREME_POVERTY" },
): Promise<{ id: string; headName: string }> {
  return insertHouseholdRow(server, { ...input, idNumber: residentId("19580302") });
}

/** Creates a service request through the API (as a COORDINATOR or the ADMIN). */
export async function createServiceRequest(
  client: GraphQLClient,
  input: {
    allianceId: string;
    householdId?: string;
    category?: string;
    urgency?: string;
    title?: string;
    description?: string;
    idempotencyKey?: string;
  },
): Promise<RequestNode> {
  const data = await client.query<{ createServiceRequest: RequestNode }>(
    `mutation ($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { ${REQUEST_FIELDS} } }`,
    { input: { category: "ELDERLY_CARE", title: `需求 ${(sequence += 1)}`, ...input } },
  );
  return data.createServiceRequest;
}

export const CLAIM = `mutation ($id: ID!) { claimServiceRequest(id: $id) { ${REQUEST_FIELDS} } }`;
export const RELEASE = `mutation ($id: ID!) { releaseServiceRequest(id: $id) { ${REQUEST_FIELDS} } }`;
export const CANCEL = `mutation ($id: ID!, $reason: String!) { cancelServiceRequest(id: $id, reason: $reason) { ${REQUEST_FIELDS} } }`;

/** Service-request rows in the database, by status (what was and was not written). */
export async function requestRows(server: TestServer): Promise<number> {
  return server.app.prisma.serviceRequest.count();
}

/** Audit-log rows of one operation. */
export async function auditRows(server: TestServer, operation: string): Promise<number> {
  return server.app.prisma.auditLog.count({ where: { operation } });
}
