/** The households page's GraphQL documents and shapes. */

export const MY_ASSIGNMENTS = /* GraphQL */ `
  query MyAssignments($first: Int!, $after: String) {
    assignments(active: true, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        from
        to
        household { id headName idNumber category size status lastVisitOn alliance { id name } }
      }
    }
  }
`;

export const RECORD_VISIT = /* GraphQL */ `
  mutation RecordVisit($input: RecordVisitInput!) {
    recordVisit(input: $input) { id visitedOn household { id lastVisitOn } }
  }
`;

export interface AssignedHousehold {
  id: string;
  headName: string;
  idNumber: string;
  category: string;
  size: number;
  status: string;
  lastVisitOn: string | null;
  alliance: { id: string; name: string };
}

export interface Assignment {
  id: string;
  from: string;
  to: string | null;
  household: AssignedHousehold;
}

export interface AssignmentPage {
  assignments: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Assignment[] };
}

export interface RecordedVisit {
  recordVisit: { id: string; visitedOn: string; household: { id: string; lastVisitOn: string | null } };
}
