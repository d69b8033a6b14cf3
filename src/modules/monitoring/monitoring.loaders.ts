import DataLoader from "dataloader";
import { defineLoader, type Context } from "../../context";
import type { MonitoringAlert } from "../../generated/prisma/client";
import { MonitoringService } from "./monitoring.service";

/** Alerts by id, unscoped: they are reached through records already in scope. */
export const monitoringAlertById = defineLoader(
  (ctx: Context) => new DataLoader<string, MonitoringAlert | null>((ids) => ctx.app.get(MonitoringService).findByIds(ids)),
);

/** The OPEN medical-expense alert of each household id, null when none. */
export const openMedicalAlertOfHousehold = defineLoader(
  (ctx: Context) => new DataLoader<string, MonitoringAlert | null>((ids) => ctx.app.get(MonitoringService).openAlertsOf(ids)),
);
