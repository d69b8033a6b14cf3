/** The department queue's GraphQL documents and the shape of a task as it reads it. */

const TASK_FIELDS = /* GraphQL */ `
  fragment TaskFields on JointHandlingTask {
    id
    status
    note
    createdAt
    updatedAt
    item { code name }
    household { id headName idNumber }
    application { id requested note }
  }
`;

export const DEPARTMENT_TASKS = /* GraphQL */ `
  query DepartmentTasks($status: JointTaskStatus, $first: Int!, $after: String) {
    jointHandlingTasks(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { ...TaskFields }
    }
  }
  ${TASK_FIELDS}
`;

export const TASK_EVENTS = /* GraphQL */ `
  subscription DepartmentTaskEvents($after: String) {
    jointHandlingTaskEvents(after: $after) { id kind task { ...TaskFields } }
  }
  ${TASK_FIELDS}
`;

export const ACCEPT_TASK = /* GraphQL */ `
  mutation AcceptTask($id: ID!, $note: String) { acceptJointHandlingTask(id: $id, note: $note) { ...TaskFields } }
  ${TASK_FIELDS}
`;

export const COMPLETE_TASK = /* GraphQL */ `
  mutation CompleteTask($id: ID!, $note: String) { completeJointHandlingTask(id: $id, note: $note) { ...TaskFields } }
  ${TASK_FIELDS}
`;

export const REJECT_TASK = /* GraphQL */ `
  mutation RejectTask($id: ID!, $reason: String!) { rejectJointHandlingTask(id: $id, reason: $reason) { ...TaskFields } }
  ${TASK_FIELDS}
`;

export const TASK_STATUSES = ["PENDING", "ACCEPTED", "COMPLETED", "REJECTED"] as const;

export interface Task {
  id: string;
  status: (typeof TASK_STATUSES)[number];
  note: string | null;
  createdAt: string;
  updatedAt: string;
  item: { code: string; name: string };
  household: { id: string; headName: string; idNumber: string };
  application: { id: string; requested: string; note: string | null };
}

export interface TaskEvent {
  id: string;
  kind: "CREATED" | "ACCEPTED" | "COMPLETED" | "REJECTED";
  task: Task;
}

export interface TaskPage {
  jointHandlingTasks: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Task[] };
}

/** Newest first, as the API lists them. */
export function newestTaskFirst(a: Task, b: Task): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
