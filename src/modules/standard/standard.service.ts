import { inScope, type Viewer } from "../../auth";
import type { AssistanceCategory } from "../../common/enums";
import { isId, requireId } from "../../common/ids";
import { runMutation } from "../../common/mutation";
import { Decimal, isoDate, todayInChina } from "../../common/scalars";
import type { App } from "../../context";
import { badInput, forbidden } from "../../errors";
import { Prisma } from "../../generated/prisma/client";
import type {
  RecordMemberIncomeInput,
  SetAssistanceStandardInput,
  SetCountyAssistanceSettingInput,
  SetMinimumWageInput,
} from "./standard.inputs";
import type { Assessment, AssistanceStandard, CountyAssistanceSetting, MemberIncome, MinimumWage } from "./standard.types";

/** The 低保边缘 multiple of the 低保 standard where a county sets none. */
export const DEFAULT_MARGINAL_MULTIPLIER = "1.50";

/** The first day of the month containing `day` (a date at UTC midnight). */
export function monthOf(day: Date): Date {
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
}

/**
 * The CTEs that assess households month by month, as `Household.assessment` and the stats'
 * `averageTopUp` both compute them: `cases` is a query with the columns `household_id`,
 * `alliance_id` (its village), `month` (the month's first day), `rules_on` (the day whose
 * standard and minimum wage apply) and `persons`; the result is the CTE `assessed`, one row per
 * case with `standard`, `minimum_wage`, `marginal_multiplier`, `total_income`, `countable`
 * and `top_up` (null without a standard).
 *
 * The standard and the minimum wage are those of the nearest alliance on the village's path
 * (the county's own, else the city's) in force on `rules_on`; a supported-job wage, where the
 * county's rule is on, counts only above that minimum wage (in full when none is set).
 */
export function assessedSql(cases: Prisma.Sql): Prisma.Sql {
  // Every lookup is per case through an index (LATERAL), whatever the planner estimates for `cases`.
  return Prisma.sql`
    cases AS (${cases}),
    assessed AS (
      SELECT c.household_id, c.alliance_id, c.month, c.persons, r.standard, r.minimum_wage, r.marginal_multiplier,
             inc.total_income, inc.countable,
             CASE WHEN r.standard IS NOT NULL THEN round(GREATEST(r.standard * c.persons - inc.countable, 0), 2) END AS top_up
        FROM cases c
       CROSS JOIN LATERAL (
         SELECT std.monthly_amount AS standard, wage.monthly_amount AS minimum_wage,
                COALESCE(cs.exempt_supported_job_wage, false) AS exempt,
                COALESCE(cs.marginal_multiplier, ${DEFAULT_MARGINAL_MULTIPLIER}::numeric) AS marginal_multiplier
           FROM alliance v
           LEFT JOIN county_assistance_setting cs ON cs.alliance_id = NULLIF(split_part(v.path, '/', 3), '')::uuid
           LEFT JOIN LATERAL (
             SELECT s.monthly_amount FROM assistance_standard s JOIN alliance a ON a.id = s.alliance_id
              WHERE v.path LIKE a.path || '%' AND s.category = 'DIBAO' AND s.effective_from <= c.rules_on
              ORDER BY length(a.path) DESC, s.effective_from DESC LIMIT 1) std ON TRUE
           LEFT JOIN LATERAL (
             SELECT w.monthly_amount FROM minimum_wage w JOIN alliance a ON a.id = w.alliance_id
              WHERE v.path LIKE a.path || '%' AND w.effective_from <= c.rules_on
              ORDER BY length(a.path) DESC, w.effective_from DESC LIMIT 1) wage ON TRUE
          WHERE v.id = c.alliance_id) r
       CROSS JOIN LATERAL (
         SELECT COALESCE(sum(i.amount), 0) AS total_income,
                COALESCE(sum(CASE WHEN i.kind = 'SUPPORTED_JOB_WAGE' AND r.exempt
                                  THEN GREATEST(i.amount - COALESCE(r.minimum_wage, 0), 0) ELSE i.amount END), 0) AS countable
           FROM member_income i
          WHERE i.household_id = c.household_id AND i.month = c.month) inc)`;
}

interface AllianceRow {
  id: string;
  path: string;
  level: string;
}

/** Assistance standards, minimum wages, county settings, members' incomes, and the 低保 assessment of households. */
export class StandardService {
  constructor(private readonly app: App) {}

  private requireAdmin(viewer: Viewer | null, what: string): void {
    if (viewer?.role !== "ADMIN") throw forbidden(`Only ADMIN sets ${what}`);
  }

  /** The alliance named by `allianceId` for a setting: BAD_USER_INPUT when unknown or not of one of `levels`. */
  private async requireLevel(allianceId: string, levels: readonly string[]): Promise<AllianceRow> {
    const id = requireId(allianceId, "allianceId");
    const [alliance] = await this.app.deps.db.rows<AllianceRow>(
      Prisma.sql`SELECT id::text AS id, path, level::text AS level FROM alliance WHERE id = ${id}::uuid`,
    );
    if (!alliance) throw badInput("allianceId", "no alliance has this id");
    if (!levels.includes(alliance.level)) {
      throw badInput("allianceId", `must be ${levels.map((l) => (l === "CITY" ? "the CITY" : `a ${l}`)).join(" or ")}, not a ${alliance.level}`);
    }
    return alliance;
  }

  /** Sets (or replaces, for the same day) a standard of a COUNTY or the CITY: ADMIN only. */
  async setStandard(viewer: Viewer | null, input: SetAssistanceStandardInput): Promise<AssistanceStandard> {
    await this.app.deps.scopes.of(viewer);
    this.requireAdmin(viewer, "assistance standards");
    const alliance = await this.requireLevel(input.allianceId, ["COUNTY", "CITY"]);
    if (input.monthlyAmount.lte(0)) throw badInput("monthlyAmount", "must be above 0.00");
    return runMutation(this.app, viewer, { operation: "setAssistanceStandard", input }, (tx) =>
      tx.assistanceStandard.upsert({
        where: { allianceId_category_effectiveFrom: { allianceId: alliance.id, category: input.category, effectiveFrom: input.effectiveFrom } },
        create: { allianceId: alliance.id, category: input.category, monthlyAmount: input.monthlyAmount, effectiveFrom: input.effectiveFrom },
        update: { monthlyAmount: input.monthlyAmount },
      }) as Promise<AssistanceStandard>,
    );
  }

  /**
   * The standard of `category` in force on `date` for an alliance: the nearest one on its path
   * (its own, else its county's, else the city's), null when none. Any signed-in account: the
   * standards are published policy. NOT_FOUND for an unknown alliance.
   */
  async standardOn(viewer: Viewer | null, allianceId: string, category: AssistanceCategory, date: Date): Promise<AssistanceStandard | null> {
    await this.app.deps.scopes.of(viewer);
    const id = requireId(allianceId, "allianceId");
    const [alliance] = await this.app.deps.db.rows<{ path: string }>(Prisma.sql`SELECT path FROM alliance WHERE id = ${id}::uuid`);
    if (!alliance) throw badInput("allianceId", "no alliance has this id");
    const [standard] = await this.app.deps.db.rows<AssistanceStandard & { monthlyAmount: string }>(Prisma.sql`
      SELECT s.id::text AS id, s.alliance_id::text AS "allianceId", s.category::text AS category,
             s.monthly_amount::text AS "monthlyAmount", s.effective_from AS "effectiveFrom"
        FROM assistance_standard s JOIN alliance a ON a.id = s.alliance_id
       WHERE ${alliance.path} LIKE a.path || '%' AND s.category = ${category}::"AssistanceCategory" AND s.effective_from <= ${isoDate(date)}::date
       ORDER BY length(a.path) DESC, s.effective_from DESC LIMIT 1`);
    return standard ? { ...standard, monthlyAmount: new Decimal(standard.monthlyAmount) } : null;
  }

  /** Sets (or replaces, for the same day) the minimum wage of a COUNTY or the CITY: ADMIN only. */
  async setMinimumWage(viewer: Viewer | null, input: SetMinimumWageInput): Promise<MinimumWage> {
    await this.app.deps.scopes.of(viewer);
    this.requireAdmin(viewer, "minimum wages");
    const alliance = await this.requireLevel(input.allianceId, ["COUNTY", "CITY"]);
    if (input.monthlyAmount.lte(0)) throw badInput("monthlyAmount", "must be above 0.00");
    return runMutation(this.app, viewer, { operation: "setMinimumWage", input }, (tx) =>
      tx.minimumWage.upsert({
        where: { allianceId_effectiveFrom: { allianceId: alliance.id, effectiveFrom: input.effectiveFrom } },
        create: { allianceId: alliance.id, monthlyAmount: input.monthlyAmount, effectiveFrom: input.effectiveFrom },
        update: { monthlyAmount: input.monthlyAmount },
      }),
    );
  }

  /** Sets a COUNTY's assistance settings (fields left out keep their value): ADMIN only. */
  async setCountySetting(viewer: Viewer | null, input: SetCountyAssistanceSettingInput): Promise<CountyAssistanceSetting> {
    await this.app.deps.scopes.of(viewer);
    this.requireAdmin(viewer, "county assistance settings");
    const county = await this.requireLevel(input.allianceId, ["COUNTY"]);
    const multiplier = input.marginalMultiplier == null ? undefined : new Decimal(input.marginalMultiplier);
    if (multiplier && multiplier.lt(1)) throw badInput("marginalMultiplier", "must be at least 1");
    const data = {
      ...(input.exemptSupportedJobWage == null ? {} : { exemptSupportedJobWage: input.exemptSupportedJobWage }),
      ...(multiplier ? { marginalMultiplier: multiplier } : {}),
    };
    const saved = await runMutation(this.app, viewer, { operation: "setCountyAssistanceSetting", input }, async (tx) => {
      const row = await tx.countyAssistanceSetting.upsert({
        where: { allianceId: county.id },
        create: { allianceId: county.id, ...data },
        update: { ...data, updatedAt: new Date() },
      });
      return { ...row, id: row.allianceId };
    });
    return { id: saved.id, exemptSupportedJobWage: saved.exemptSupportedJobWage, marginalMultiplier: saved.marginalMultiplier.toFixed(2) };
  }

  /** A county's settings, the defaults when none were set; BAD_USER_INPUT unless a COUNTY. */
  async countySetting(viewer: Viewer | null, allianceId: string): Promise<CountyAssistanceSetting> {
    await this.app.deps.scopes.of(viewer);
    const county = await this.requireLevel(allianceId, ["COUNTY"]);
    const row = await this.app.prisma.countyAssistanceSetting.findUnique({ where: { allianceId: county.id } });
    return {
      id: county.id,
      exemptSupportedJobWage: row?.exemptSupportedJobWage ?? false,
      marginalMultiplier: row ? row.marginalMultiplier.toFixed(2) : DEFAULT_MARGINAL_MULTIPLIER,
    };
  }

  /**
   * Records a member's income of one kind for a month (replacing the one recorded for the same
   * member, month and kind): ADMIN, or a COORDINATOR of the household's subtree. BAD_USER_INPUT
   * for an unknown member or a month after the current one.
   */
  async recordIncome(viewer: Viewer | null, input: RecordMemberIncomeInput): Promise<MemberIncome> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Only ADMIN and coordinators record incomes");
    const memberId = requireId(input.memberId, "memberId");
    const month = monthOf(input.month);
    if (month.getTime() > monthOf(todayInChina()).getTime()) throw badInput("month", "must not be after the current month");
    const member = await this.app.prisma.householdMember.findUnique({
      where: { id: memberId },
      select: { householdId: true, household: { select: { alliance: { select: { path: true } } } } },
    });
    if (!member) throw badInput("memberId", "no household member has this id");
    if (!inScope(scope, member.household.alliance.path)) throw forbidden("This household is outside your scope");
    return runMutation(this.app, viewer, { operation: "recordMemberIncome", input: { ...input, month } }, (tx) =>
      tx.memberIncome.upsert({
        where: { memberId_month_kind: { memberId, month, kind: input.kind } },
        create: { householdId: member.householdId, memberId, month, kind: input.kind, amount: input.amount },
        update: { amount: input.amount },
      }),
    );
  }

  /** The incomes recorded for each household in the month containing `month`, in key order: by member, then kind. */
  async incomesOf(householdIds: readonly string[], month: Date): Promise<MemberIncome[][]> {
    const valid = householdIds.filter(isId);
    const rows = valid.length
      ? await this.app.prisma.memberIncome.findMany({
          where: { householdId: { in: valid }, month: monthOf(month) },
          orderBy: [{ memberId: "asc" }, { kind: "asc" }],
        })
      : [];
    return householdIds.map((id) => rows.filter((row) => row.householdId === id));
  }

  /** The assessment of each household for the month containing `on`, in key order, in one statement (see assessedSql). */
  async assessments(householdIds: readonly string[], on: Date): Promise<(Assessment | null)[]> {
    const valid = householdIds.filter(isId);
    if (valid.length === 0) return householdIds.map(() => null);
    const month = monthOf(on);
    const last = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 0));
    const rows = await this.app.deps.db.rows<{
      household_id: string; persons: number; standard: string | null; minimum_wage: string | null; total_income: string; countable: string;
      per_person: string; top_up: string | null; dibao: boolean | null; marginal: boolean | null;
    }>(Prisma.sql`
      WITH ${assessedSql(Prisma.sql`
        SELECT h.id AS household_id, h.alliance_id, ${isoDate(month)}::date AS month, ${isoDate(on)}::date AS rules_on,
               COALESCE(s.persons, h.size) AS persons
          FROM household h
          LEFT JOIN household_state s ON s.household_id = h.id AND s.category IS NOT NULL
                AND s.valid_from <= ${isoDate(last)}::date AND (s.valid_to IS NULL OR s.valid_to > ${isoDate(last)}::date)
         WHERE h.id = ANY(${valid}::uuid[])`)}
      SELECT household_id::text AS household_id, persons::int AS persons, standard::text AS standard, minimum_wage::text AS minimum_wage,
             total_income::text AS total_income, countable::text AS countable,
             round(countable / NULLIF(persons, 0), 2)::text AS per_person, top_up::text AS top_up,
             countable < standard * persons AS dibao, countable < standard * marginal_multiplier * persons AS marginal
        FROM assessed`);
    const money = (value: string | null) => (value === null ? null : new Decimal(value));
    return householdIds.map((id) => {
      const row = rows.find((r) => r.household_id === id);
      if (!row) return null;
      return {
        month,
        members: row.persons,
        totalIncome: new Decimal(row.total_income),
        countableIncome: new Decimal(row.countable),
        countableIncomePerPerson: new Decimal(row.per_person ?? "0"),
        standard: money(row.standard),
        minimumWage: money(row.minimum_wage),
        eligibleForDibao: row.dibao,
        eligibleForDibaoMarginal: row.marginal,
        topUp: money(row.top_up),
      };
    });
  }
}
