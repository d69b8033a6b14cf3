import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../context";
import type {
  Account as AccountRecord,
  Alliance as AllianceRecord,
  Household as HouseholdRecord,
  MonitoringAlert as AlertRecord,
} from "../../generated/prisma/client";
import { Account, accountById } from "../account";
import { Alliance, allianceById } from "../alliance";
import { Household, householdById } from "../household";
import { ServiceRequest, serviceRequestById } from "../service-request";
import { MonitoringAlertsArgs, RecordMedicalExpenseInput } from "./monitoring.inputs";
import { openMedicalAlertOfHousehold } from "./monitoring.loaders";
import { alertFigures, MonitoringService } from "./monitoring.service";
import { AlertAction, MedicalExpense, MonitoringAlert, MonitoringAlertConnection, MonitoringAlertFigures } from "./monitoring.types";

@Resolver(() => MonitoringAlert)
export class MonitoringAlertResolver {
  @Query(() => MonitoringAlertConnection, {
    description:
      "政策找人 alerts of households in your subtree (or under `allianceId`), newest first: ADMIN and COORDINATOR; FORBIDDEN for PARTNER (alerts carry a household's income and spending).",
  })
  monitoringAlerts(@Args() args: MonitoringAlertsArgs, @Ctx() ctx: Context) {
    return ctx.app.get(MonitoringService).list(ctx.viewer, args);
  }

  @Mutation(() => MonitoringAlert, {
    description:
      "Resolves an OPEN alert (ADMIN, or a COORDINATOR of its subtree): VISIT raises a PRECISION_ASSISTANCE service request (urgency HIGH) for the household, published live like any new need, and sets VISIT_SCHEDULED; DISMISS needs a `reason` and sets DISMISSED. `reason`: up to 500 characters, no ID or phone numbers. A resolved alert is a CONFLICT.",
  })
  resolveMonitoringAlert(
    @Arg("id", () => ID) id: string,
    @Arg("action", () => AlertAction) action: AlertAction,
    @Arg("reason", () => String, { nullable: true, description: "Why: required to DISMISS, optional for VISIT." }) reason: string | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.get(MonitoringService).resolve(ctx.viewer, id, action, reason);
  }

  @FieldResolver(() => Household, { description: "The household the alert is about." })
  async household(@Root() alert: MonitoringAlert, @Ctx() ctx: Context): Promise<HouseholdRecord> {
    const household = await householdById(ctx).load(alert.householdId);
    if (!household) throw new Error(`Household of monitoring alert ${alert.id} is missing`);
    return household;
  }

  @FieldResolver(() => Alliance, { description: "The household's village alliance, whose coordinators act on it." })
  async alliance(@Root() alert: MonitoringAlert, @Ctx() ctx: Context): Promise<AllianceRecord> {
    const alliance = await allianceById(ctx).load(alert.allianceId);
    if (!alliance) throw new Error(`Alliance of monitoring alert ${alert.id} is missing`);
    return alliance;
  }

  @FieldResolver(() => MonitoringAlertFigures, { description: "The figures behind it, as of when it was raised or last updated." })
  figures(@Root() alert: MonitoringAlert): MonitoringAlertFigures {
    return alertFigures(alert as Pick<AlertRecord, "figures">);
  }

  @FieldResolver(() => Account, { nullable: true, description: "Who resolved it; null while OPEN." })
  resolvedBy(@Root() alert: MonitoringAlert, @Ctx() ctx: Context): Promise<AccountRecord | null> | null {
    return alert.resolvedById ? accountById(ctx).load(alert.resolvedById) : null;
  }

  @FieldResolver(() => ServiceRequest, { nullable: true, description: "The service request its VISIT resolution raised; null otherwise." })
  serviceRequest(@Root() alert: MonitoringAlert, @Ctx() ctx: Context): Promise<ServiceRequest | null> | null {
    return alert.serviceRequestId ? serviceRequestById(ctx).load(alert.serviceRequestId) : null;
  }
}

@Resolver(() => MedicalExpense)
export class MedicalExpenseResolver {
  @Mutation(() => MedicalExpense, {
    description:
      "Records out-of-pocket medical spending of a household (ADMIN; a COORDINATOR of its subtree; a PARTNER of a GOVERNMENT_DEPARTMENT in whose alliances' subtrees it lives, or whose organization holds its care assignment today). In the same transaction, when the household's spending over the 12 months up to `on` reaches MEDICAL_ALERT_INCOME_SHARE of its income over those months and at least MEDICAL_ALERT_MIN_AMOUNT, a MEDICAL_EXPENSE alert is raised for its village, or the OPEN one's figures are updated (one OPEN alert per household).",
  })
  recordMedicalExpense(@Arg("input") input: RecordMedicalExpenseInput, @Ctx() ctx: Context) {
    return ctx.app.get(MonitoringService).recordExpense(ctx.viewer, input);
  }

  @FieldResolver(() => Household, { description: "The household that paid." })
  async household(@Root() expense: MedicalExpense, @Ctx() ctx: Context): Promise<HouseholdRecord> {
    const household = await householdById(ctx).load(expense.householdId);
    if (!household) throw new Error(`Household of medical expense ${expense.id} is missing`);
    return household;
  }

  @FieldResolver(() => MonitoringAlert, {
    nullable: true,
    description: "The household's OPEN medical-expense alert now (raised or updated by this expense or an earlier one); null when none, and always for a PARTNER.",
  })
  monitoringAlert(@Root() expense: MedicalExpense, @Ctx() ctx: Context): Promise<AlertRecord | null> | null {
    if (!ctx.viewer || ctx.viewer.role === "PARTNER") return null;
    return openMedicalAlertOfHousehold(ctx).load(expense.householdId);
  }
}
