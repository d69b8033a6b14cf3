import DataLoader from "dataloader";
import { defineLoader } from "../../context";
import { ReportingService } from "./reporting.service";

/** The closed date in force per alliance path (its own or an ancestor's): one statement per batch. */
export const closedThroughByPath = defineLoader(
  (ctx) => new DataLoader<string, Date | null>((paths) => ctx.app.get(ReportingService).closedThroughByPaths(paths)),
);
