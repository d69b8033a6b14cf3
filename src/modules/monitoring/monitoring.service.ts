import { allianceScopeSql, inScope, type Viewer } from "../../auth";
import { isId, requireId } from "../../common/ids";
import { runMutation, type Tx } from "../../common/mutation";
import { keysetPage, type Connection } from "../../common/pagination";
import { isoDate, todayInChina } from "../../common/scalars";
import { containsPersonalNumber, PERSONAL_NUMBER_MESSAGE } from "../../common/validators";
import type { App } from "../../context";
import { badInput, conflict, forbidden, notFound } from "../../errors";
import { Prisma, type MedicalExpense, type MonitoringAlert } from "../../generated/prisma/client";
import { AssignmentService } from "../assignment";
import { HouseholdService } from "../household";
import { ServiceRequestService } from "../service-request";
import type { MonitoringAlertsArgs, RecordMedicalExpenseInput } from "./monitoring.inputs";
import type { AlertAction, MonitoringAlertFigures } from "./monitoring.types";

/** The earliest day an expense may be dated. */
const EARLIEST_EXPENSE = new Date(Date.UTC(2000, 0, 1));
const MAX_RESOLUTION_LENGTH = 500;

/** The service request a VISIT resolution raises. */
export const ALERT_VISIT_TITLE = "政策找人：医疗支出较大，请上门探访";

/** The columns of a MonitoringAlert record, from `monitoring_alert ma`. */
const ALERT_COLUMNS = Prisma.sql`ma.id, ma.household_id AS "householdId", ma.alliance_id AS "allianceId", ma.kind, ma.status,
  ma.reason, ma.figures, ma.created_at AS "createdAt", ma.resolved_at AS "resolvedAt", ma.resolved_by_id AS "resolvedById",
  ma.resolution, ma.service_request_id AS "serviceRequestId"`;

/** Figures as `monitoring_alert.figures` holds them: amounts as strings with two decimals, days as ISO dates. */
interface StoredAlertFigures {
  spending: string;
  income: string;
  share: number;
  threshold: string;
  from: string;
  to: string;
}

/** "23,400.00": yuan with two decimals and thousands separators, for reasons people read. */
function yuan(amount: Prisma.Decimal): string {
  const [whole, fraction] = amount.toFixed(2).split(".");
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${fraction}`;
}

/** The first day of the 12 months that end on `on` (the day after the same day a year before). */
function twelveMonthsBefore(on: Date): Date {
  const from = new Date(Date.UTC(on.getUTCFullYear() - 1, on.getUTCMonth(), on.getUTCDate()));
  // 29 February back a year lands on 1 March; the window then starts the day after.
  return new Date(from.getTime() + 86_400_000);
}

/** Decoded figures of an alert (stored JSON → Money as Decimal, days as Date). */
export function alertFigures(alert: Pick<MonitoringAlert, "figures">): MonitoringAlertFigures {
  const raw = (typeof alert.figures === "string" ? JSON.parse(alert.figures) : alert.figures) as StoredAlertFigures;
  return {
    spending: new Prisma.Decimal(raw.spending),
    income: new Prisma.Decimal(raw.income),
    share: raw.share,
    threshold: new Prisma.Decimal(raw.threshold),
    from: new Date(`${raw.from}T00:00:00Z`),
    to: new Date(`${raw.to}T00:00:00Z`),
  };
}

/**
 * 政策找人: medical expenses, the rule that turns large ones into alerts for the household's
 * village, and the coordinators' resolution of those alerts (a visit, or a dismissal).
 *
 * The rule (MEDICAL_EXPENSE): the household's out-of-pocket medical spending on the days from
 * a year before the expense's day (exclusive) to that day is at least the larger of
 * MEDICAL_ALERT_MIN_AMOUNT and MEDICAL_ALERT_INCOME_SHARE × its income for the 12 calendar
 * months ending with that day's month (every member income of every kind). Compared exactly;
 * the threshold is shown rounded half-up to the fen.
 */
export class MonitoringService {
  constructor(private readonly app: App) {}

  private get prisma() {
    return this.app.prisma;
  }

  /**
   * Records an expense and applies the rule in the same transaction: when it holds, the
   * household's OPEN medical-expense alert is raised for its village, or, when one is OPEN
   * already, its reason and figures are brought up to date (never a second one; an expense
   * dated before the day the open alert's figures run to leaves them as they are). Who may:
   * ADMIN; a COORDINATOR whose subtree holds the household; a PARTNER whose organization is a
   * GOVERNMENT_DEPARTMENT with the household in its alliances' subtrees, or that holds a care
   * assignment for the household today. BAD_USER_INPUT (nothing written) for an amount of 0, a
   * day in the future or before 2000. Not held by closed reporting periods: no reported figure
   * counts expenses. A retry with the same idempotency key returns the first record.
   */
  async recordExpense(viewer: Viewer | null, input: RecordMedicalExpenseInput): Promise<MedicalExpense> {
    await this.app.deps.scopes.of(viewer);
    if (input.amount.lte(0)) throw badInput("amount", "must be above 0");
    const today = todayInChina();
    if (input.on.getTime() > today.getTime()) {
      throw badInput("on", `must not be in the future (today is ${isoDate(today)}, China time)`);
    }
    if (input.on.getTime() < EARLIEST_EXPENSE.getTime()) throw badInput("on", "must not be before 2000-01-01");
    const householdId = await this.requireRecordable(viewer, input.householdId, today);
    const note = input.note?.trim() || null;

    return runMutation(
      this.app,
      viewer,
      {
        operation: "recordMedicalExpense",
        input: { ...input, note },
        idempotencyKey: input.idempotencyKey,
        findExisting: (tx, id) => tx.medicalExpense.findUnique({ where: { id } }),
      },
      async (tx) => {
        // One household's expenses and alert change one transaction at a time.
        const [household] = await tx.$queryRaw<{ allianceId: string }[]>`
          SELECT alliance_id::text AS "allianceId" FROM household WHERE id = ${householdId}::uuid FOR UPDATE`;
        const expense = await tx.medicalExpense.create({
          data: { householdId, amount: input.amount, on: input.on, note, recordedById: viewer?.accountId ?? null },
        });
        await this.applyRule(tx, householdId, household.allianceId, input.on);
        return expense;
      },
    );
  }

  /**
   * Alerts of households in the viewer's subtree (ADMIN: all), newest first; `allianceId`
   * narrows to a subtree (NOT_FOUND / FORBIDDEN as for any alliance). A PARTNER is FORBIDDEN:
   * an alert carries a household's income and spending.
   */
  async list(viewer: Viewer | null, args: MonitoringAlertsArgs): Promise<Connection<MonitoringAlert>> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Monitoring alerts are for coordinators: they carry a household's income and spending");
    const where: Prisma.Sql[] = [];
    if (!scope.all) where.push(allianceScopeSql(scope, "a.path"));
    if (args.allianceId) {
      const root = await this.app.deps.scopes.requireAlliance(viewer, requireId(args.allianceId, "allianceId"));
      where.push(Prisma.sql`a.path LIKE ${`${root.path}%`}`);
    }
    if (args.status) where.push(Prisma.sql`ma.status = ${args.status}::"AlertStatus"`);
    return keysetPage<MonitoringAlert & Record<string, unknown>>(this.app.deps.db, {
      columns: ALERT_COLUMNS,
      from: Prisma.sql`FROM monitoring_alert ma JOIN alliance a ON a.id = ma.alliance_id`,
      where: where.length ? Prisma.join(where, " AND ") : Prisma.sql`TRUE`,
      keys: [
        { sql: "ma.created_at", type: "timestamptz", field: "createdAt" },
        { sql: "ma.id", type: "uuid", field: "id" },
      ],
      direction: "desc",
      args: { first: args.first, after: args.after },
    });
  }

  /**
   * Resolves an OPEN alert (ADMIN, or a COORDINATOR whose subtree holds the alert's village).
   * VISIT raises a service request for the household in its village (PRECISION_ASSISTANCE,
   * HIGH) through the service requests' create path, in the same transaction, so its CREATED
   * event goes out after commit as for any new need; the alert becomes VISIT_SCHEDULED and
   * names it. DISMISS needs a reason. `reason`: up to 500 characters, no ID or phone numbers.
   * An alert that is not OPEN (any more) is a CONFLICT, and nothing is written.
   */
  async resolve(viewer: Viewer | null, id: string, action: AlertAction, reason: string | null | undefined): Promise<MonitoringAlert> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Only a coordinator resolves a monitoring alert");
    const why = reason?.trim() || null;
    if (action === "DISMISS" && !why) throw badInput("reason", "is required to dismiss an alert: say why no visit is needed");
    if (why && why.length > MAX_RESOLUTION_LENGTH) throw badInput("reason", `must be at most ${MAX_RESOLUTION_LENGTH} characters`);
    if (why && containsPersonalNumber(why)) throw badInput("reason", PERSONAL_NUMBER_MESSAGE);
    if (!isId(id)) throw notFound("Monitoring alert");
    const [alert] = await this.app.deps.db.rows<MonitoringAlert & { path: string }>(Prisma.sql`
      SELECT ${ALERT_COLUMNS}, a.path FROM monitoring_alert ma JOIN alliance a ON a.id = ma.alliance_id WHERE ma.id = ${id}::uuid`);
    if (!alert) throw notFound("Monitoring alert");
    if (!inScope(scope, alert.path)) throw forbidden("This alert is outside your scope");
    if (alert.status !== "OPEN") {
      throw conflict(`This alert is ${alert.status} already; only an OPEN alert can be resolved`, { status: alert.status });
    }

    return runMutation(this.app, viewer, { operation: "resolveMonitoringAlert", input: { id, action, reason: why } }, async (tx, emit) => {
      let serviceRequestId: string | null = null;
      if (action === "VISIT") {
        const request = await this.app.get(ServiceRequestService).createInTransaction(tx, emit, {
          allianceId: alert.allianceId,
          alliancePath: alert.path,
          householdId: alert.householdId,
          category: "PRECISION_ASSISTANCE",
          urgency: "HIGH",
          title: ALERT_VISIT_TITLE,
          description: alert.reason,
          raisedByAccountId: viewer?.accountId ?? null,
        });
        serviceRequestId = request.id;
      }
      const { count } = await tx.monitoringAlert.updateMany({
        where: { id: alert.id, status: "OPEN" },
        data: {
          status: action === "VISIT" ? "VISIT_SCHEDULED" : "DISMISSED",
          resolvedAt: new Date(),
          resolvedById: viewer?.accountId ?? null,
          resolution: why,
          serviceRequestId,
        },
      });
      if (count === 0) throw conflict("This alert was resolved meanwhile; only an OPEN alert can be resolved");
      return tx.monitoringAlert.findUniqueOrThrow({ where: { id: alert.id } });
    });
  }

  /** Alerts by id, in key order, null for misses; no scope check (reached through records in scope). */
  async findByIds(ids: readonly string[]): Promise<(MonitoringAlert | null)[]> {
    const valid = ids.filter(isId);
    const rows = valid.length ? await this.prisma.monitoringAlert.findMany({ where: { id: { in: valid } } }) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  /** The OPEN medical-expense alert of each household, in key order, null when none; one statement. */
  async openAlertsOf(householdIds: readonly string[]): Promise<(MonitoringAlert | null)[]> {
    const valid = householdIds.filter(isId);
    const rows = valid.length
      ? await this.prisma.monitoringAlert.findMany({ where: { householdId: { in: valid }, kind: "MEDICAL_EXPENSE", status: "OPEN" } })
      : [];
    const byHousehold = new Map(rows.map((row) => [row.householdId, row]));
    return householdIds.map((id) => byHousehold.get(id.toLowerCase()) ?? null);
  }

  /**
   * The household id when the viewer may record an expense for it (see recordExpense):
   * BAD_USER_INPUT for an unknown household, FORBIDDEN otherwise.
   */
  private async requireRecordable(viewer: Viewer | null, householdId: string, today: Date): Promise<string> {
    if (viewer?.role !== "PARTNER") {
      return (await this.app.get(HouseholdService).requireInScope(viewer, householdId)).household.id;
    }
    const organizationId = viewer.organizationId?.toLowerCase();
    if (!organizationId) throw forbidden("Your account has no organization");
    const id = requireId(householdId, "householdId");
    const household = await this.prisma.household.findUnique({ where: { id }, select: { id: true } });
    if (!household) throw badInput("householdId", "no household has this id");
    if (await this.app.get(AssignmentService).isAssigned(organizationId, household.id, today)) return household.id;
    const organization = await this.prisma.organization.findUnique({ where: { id: organizationId }, select: { kind: true } });
    if (organization?.kind !== "GOVERNMENT_DEPARTMENT") {
      throw forbidden("A partner records medical expenses only for households assigned to its organization, unless it is a government department");
    }
    return (await this.app.get(HouseholdService).requireInScope(viewer, household.id)).household.id;
  }

  /**
   * The rule, inside the expense's transaction (the household's row locked): raises the OPEN
   * alert, or updates the figures of the one already OPEN, when the spending of the 12 months
   * up to `on` reaches the threshold; does nothing otherwise.
   */
  private async applyRule(tx: Tx, householdId: string, allianceId: string, on: Date): Promise<void> {
    const from = twelveMonthsBefore(on);
    const [sums] = await tx.$queryRaw<{ spending: string; income: string }[]>`
      SELECT
        (SELECT COALESCE(sum(amount), 0)::text FROM medical_expense
          WHERE household_id = ${householdId}::uuid AND "on" BETWEEN ${isoDate(from)}::date AND ${isoDate(on)}::date) AS spending,
        (SELECT COALESCE(sum(amount), 0)::text FROM member_income
          WHERE household_id = ${householdId}::uuid
            AND month BETWEEN (date_trunc('month', ${isoDate(on)}::date) - interval '11 months')::date AND ${isoDate(on)}::date) AS income`;
    const spending = new Prisma.Decimal(sums.spending);
    const income = new Prisma.Decimal(sums.income);
    const { medicalAlertIncomeShare: share, medicalAlertMinAmount } = this.app.deps.config;
    const minimum = new Prisma.Decimal(medicalAlertMinAmount);
    const ofIncome = income.mul(new Prisma.Decimal(String(share)));
    const threshold = Prisma.Decimal.max(minimum, ofIncome);
    if (spending.lt(threshold)) return;
    const figures: StoredAlertFigures = {
      spending: spending.toFixed(2),
      income: income.toFixed(2),
      share,
      threshold: threshold.toFixed(2),
      from: isoDate(from),
      to: isoDate(on),
    };
    const percent = new Prisma.Decimal(String(share)).mul(100).toString();
    const reason = `近12个月自付医疗支出 ${yuan(spending)} 元，达到家庭年收入（${yuan(income)} 元）的 ${percent}%，且不低于 ${yuan(minimum)} 元`;
    await tx.$executeRaw`
      INSERT INTO monitoring_alert (household_id, alliance_id, kind, status, reason, figures)
      VALUES (${householdId}::uuid, ${allianceId}::uuid, 'MEDICAL_EXPENSE', 'OPEN', ${reason}, ${JSON.stringify(figures)}::jsonb)
      ON CONFLICT (household_id, kind) WHERE status = 'OPEN'
      DO UPDATE SET reason = EXCLUDED.reason, figures = EXCLUDED.figures
      WHERE (monitoring_alert.figures->>'to')::date <= ${isoDate(on)}::date`;
  }
}
