import DataLoader from "dataloader";
import { defineLoader } from "../../context";
import { JointHandlingService } from "./joint-handling.service";
import type { AssistanceApplication, JointHandlingTask, JointItem } from "./joint-handling.types";

/** Catalogue items by code: one statement per batch. */
export const jointItemByCode = defineLoader(
  (ctx) => new DataLoader<string, JointItem | null>((codes) => ctx.app.get(JointHandlingService).itemsByCodes(codes)),
);

/** Applications by id, unscoped: callers reach them through records already in scope. */
export const assistanceApplicationById = defineLoader(
  (ctx) => new DataLoader<string, AssistanceApplication | null>((ids) => ctx.app.get(JointHandlingService).applicationsByIds(ids)),
);

/** The tasks of each application the viewer may see (a PARTNER: its own department's): one statement per batch. */
export const applicationTasks = defineLoader(
  (ctx) => new DataLoader<string, JointHandlingTask[]>((ids) => ctx.app.get(JointHandlingService).tasksOfApplications(ctx.viewer, ids)),
);

/** Tasks by id, unscoped (events are filtered by scope before they are delivered). */
export const jointHandlingTaskById = defineLoader(
  (ctx) => new DataLoader<string, JointHandlingTask | null>((ids) => ctx.app.get(JointHandlingService).tasksByIds(ids)),
);
