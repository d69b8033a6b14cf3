/** The board's GraphQL documents and the shape of a need as the board reads it. */

const NEED_FIELDS = /* GraphQL */ `
  fragment NeedFields on ServiceRequest {
    id
    title
    description
    category
    urgency
    status
    createdAt
    claimedAt
    alliance { id name ancestors { id } }
    household { id headName idNumber }
    claimedBy { id name }
  }
`;

export const PARTNER_CONTEXT = /* GraphQL */ `
  query PartnerContext {
    me {
      id
      organization {
        id
        name
        kind
        serviceCategories
        alliances { id name level }
        projects(first: 50) { nodes { id name status category alliance { id name } } }
      }
    }
  }
`;

export const OPEN_NEEDS = /* GraphQL */ `
  query OpenNeeds($filter: ServiceRequestFilter!, $first: Int!, $after: String) {
    serviceRequests(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { ...NeedFields }
    }
  }
  ${NEED_FIELDS}
`;

export const CLAIMED_NEEDS = /* GraphQL */ `
  query ClaimedNeeds($organizationId: ID!, $after: String) {
    serviceRequests(filter: { status: [CLAIMED], claimedByOrganizationId: $organizationId }, first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...NeedFields }
    }
  }
  ${NEED_FIELDS}
`;

export const NEED_EVENTS = /* GraphQL */ `
  subscription NeedEvents($after: String) {
    serviceRequestEvents(after: $after) {
      id
      kind
      request { ...NeedFields }
    }
  }
  ${NEED_FIELDS}
`;

export const NEED = /* GraphQL */ `
  query Need($id: ID!) { serviceRequest(id: $id) { ...NeedFields } }
  ${NEED_FIELDS}
`;

export const CLAIM = /* GraphQL */ `
  mutation ClaimNeed($id: ID!) { claimServiceRequest(id: $id) { ...NeedFields } }
  ${NEED_FIELDS}
`;

export const RELEASE = /* GraphQL */ `
  mutation ReleaseNeed($id: ID!) { releaseServiceRequest(id: $id) { ...NeedFields } }
  ${NEED_FIELDS}
`;

export const RECORD_SERVICE = /* GraphQL */ `
  mutation RecordService($input: RecordServiceInput!) { recordService(input: $input) { id servedOn } }
`;

export interface Need {
  id: string;
  title: string;
  description: string | null;
  category: string;
  urgency: string;
  status: string;
  createdAt: string;
  claimedAt: string | null;
  alliance: { id: string; name: string; ancestors: { id: string }[] };
  household: { id: string; headName: string; idNumber: string } | null;
  claimedBy: { id: string; name: string } | null;
}

export interface NeedEvent {
  id: string;
  kind: "CREATED" | "CLAIMED" | "RELEASED" | "FULFILLED" | "CANCELLED";
  request: Need;
}

export interface Project {
  id: string;
  name: string;
  status: string;
  category: string;
  alliance: { id: string; name: string };
}

export interface PartnerContext {
  me: {
    id: string;
    organization: {
      id: string;
      name: string;
      kind: string;
      serviceCategories: string[];
      alliances: { id: string; name: string; level: string }[];
      projects: { nodes: Project[] };
    } | null;
  } | null;
}

export interface NeedPage {
  serviceRequests: { totalCount?: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Need[] };
}

export interface BoardFilter {
  category: string;
  allianceId: string;
}

/** True when the need lies under the alliance (or is in it) and has the category, where those are chosen. */
export function matchesFilter(need: Need, filter: BoardFilter): boolean {
  if (filter.category && need.category !== filter.category) return false;
  if (filter.allianceId && need.alliance.id !== filter.allianceId && !need.alliance.ancestors.some((a) => a.id === filter.allianceId)) return false;
  return true;
}

/** Newest first, as the API lists them (created, then id, descending). */
export function newestFirst(a: Need, b: Need): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Projects a need's service can be recorded in, those that fit it first (alliance above the need, same category, running). */
export function projectsFor(need: Need, projects: readonly Project[]): Project[] {
  const above = new Set([need.alliance.id, ...need.alliance.ancestors.map((a) => a.id)]);
  const score = (project: Project) =>
    (above.has(project.alliance.id) ? 0 : 4) + (project.category === need.category ? 0 : 2) + (project.status === "ACTIVE" ? 0 : 1);
  return projects
    .filter((project) => project.status === "ACTIVE" || project.status === "PLANNED")
    .slice()
    .sort((a, b) => score(a) - score(b));
}
