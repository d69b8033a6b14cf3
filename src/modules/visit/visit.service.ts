import type { Viewer } from "../../auth";
import type { ServiceCategory } from "../../common/enums";
import { findByIdsInOrder, isId, requireId } from "../../common/ids";
import { runMutation } from "../../common/mutation";
import { partitionedPages, type PageArgs, type PartitionPage } from "../../common/pagination";
import { isoDate, todayInChina } from "../../common/scalars";
import type { App } from "../../context";
import { AppError, badInput, conflict, ErrorCode, forbidden, notFound } from "../../errors";
import { Prisma, type Visit } from "../../generated/prisma/client";
import { AssignmentService } from "../assignment";
import { HouseholdService } from "../household";
import { OrganizationService } from "../organization";
import { ClosedPeriodGuard, requireVoidReason } from "../reporting";
import { ServiceRequestService } from "../service-request";
import type { RecordVisitInput } from "./visit.inputs";

/** The earliest day a visit may be recorded for. */
const EARLIEST_VISIT = new Date(Date.UTC(2000, 0, 1));

/** How many days back a PARTNER may date a visit. */
const PARTNER_VISIT_DAYS_BACK = 14;
const DAY_MS = 86_400_000;

/** Chinese labels of the service categories, for the titles of needs found on visits. */
const CATEGORY_LABEL: Record<ServiceCategory, string> = {
  PRECISION_ASSISTANCE: "精准帮扶",
  PSYCHOLOGICAL_SUPPORT: "心理赋能",
  SKILLS_TRAINING: "技能培训",
  COMMUNITY_INTEGRATION: "社区融入",
  EMPLOYMENT: "就业帮扶",
  MINOR_CARE: "未成年人关爱",
  ELDERLY_CARE: "养老关爱",
  MEDICAL_SUPPORT: "医疗救助",
  OTHER: "其他",
};

/** 探访关爱 visits: recording them (with the needs they find) and reading them per household. */
export class VisitService {
  constructor(private readonly app: App) {}

  private get prisma() {
    return this.app.prisma;
  }

  /** Visits by id, in key order, null for misses; no scope check. */
  async findByIds(ids: readonly string[]): Promise<(Visit | null)[]> {
    return findByIdsInOrder(this.prisma.visit, ids);
  }

  /** Pages of visits, newest first, for many households in one statement. */
  pagesOf(householdIds: readonly string[], page: PageArgs): Promise<PartitionPage[]> {
    return partitionedPages(this.app.deps.db, householdIds, {
      from: Prisma.sql`FROM visit v WHERE v.household_id = ANY(${householdIds.filter(isId)}::uuid[])`,
      partitionBy: "v.household_id",
      keys: [
        { sql: "v.visited_on", type: "date" },
        { sql: "v.id", type: "uuid" },
      ],
      direction: "desc",
      args: page,
    });
  }

  /** The day of each household's latest visit not voided (null when never visited), in key order, in one statement. */
  async lastVisitOn(householdIds: readonly string[]): Promise<(Date | null)[]> {
    const valid = householdIds.filter(isId);
    const rows = valid.length
      ? await this.prisma.$queryRaw<{ id: string; last: string }[]>`
          SELECT household_id::text AS id, max(visited_on)::text AS last
            FROM visit WHERE household_id = ANY(${valid}::uuid[]) AND voided_at IS NULL GROUP BY household_id`
      : [];
    const byHousehold = new Map(rows.map((row) => [row.id, new Date(`${row.last}T00:00:00Z`)]));
    return householdIds.map((id) => byHousehold.get(id) ?? null);
  }

  /**
   * Records a visit to a household in the viewer's scope. Each need found becomes an OPEN
   * service request of the household's alliance in the same transaction (its CREATED event is
   * published after commit), raised by the viewer and the visiting organization. A PARTNER
   * records for its own organization only, for a household assigned to it on the day of the
   * visit, at most 14 days back. A retry with the same idempotency key returns the first visit
   * and writes nothing.
   */
  async record(viewer: Viewer | null, input: RecordVisitInput): Promise<Visit> {
    const today = todayInChina();
    if (input.visitedOn.getTime() > today.getTime()) {
      throw badInput("visitedOn", `must not be in the future (today is ${isoDate(today)}, China time)`);
    }
    if (input.visitedOn.getTime() < EARLIEST_VISIT.getTime()) throw badInput("visitedOn", "must not be before 2000-01-01");
    const { household, alliancePath } = await this.app.get(HouseholdService).requireInScope(viewer, input.householdId);
    const organizationId = await this.visitingOrganization(viewer, input.organizationId);
    if (viewer?.role === "PARTNER" && organizationId) await this.requireAssignedVisit(organizationId, household.id, input.visitedOn, today);
    const needs = [...new Set(input.needs ?? [])];
    const guard = new ClosedPeriodGuard(this.app, viewer, input);

    return guard.around(() => runMutation(
      this.app,
      viewer,
      {
        operation: "recordVisit",
        input: guard.audit,
        keyInput: input,
        idempotencyKey: input.idempotencyKey,
        findExisting: (tx, id) => tx.visit.findUnique({ where: { id } }),
      },
      async (tx, emit) => {
        await guard.check(tx, alliancePath, input.visitedOn, "visitedOn");
        const visit = await tx.visit.create({
          data: {
            householdId: household.id,
            visitedOn: input.visitedOn,
            organizationId,
            happinessListDelivered: input.happinessListDelivered,
            note: input.note ?? null,
          },
        });
        const requests = this.app.get(ServiceRequestService);
        for (const category of needs) {
          await requests.createInTransaction(tx, emit, {
            allianceId: household.allianceId,
            alliancePath,
            householdId: household.id,
            visitId: visit.id,
            category,
            urgency: "NORMAL",
            title: `探访发现需求：${CATEGORY_LABEL[category]}`,
            description: null,
            raisedByAccountId: viewer?.accountId ?? null,
            raisedByOrganizationId: organizationId,
          });
        }
        return visit;
      },
    ));
  }

  /**
   * Voids a visit recorded in error: ADMIN, a COORDINATOR whose subtree holds the household, or
   * a PARTNER for a visit its own organization made to a household in its scope (FORBIDDEN
   * otherwise). The visit stays, with who voided it, when and why, and counts in no figure from
   * then on; the needs it raised stay as they are (they were found, whoever recorded the visit).
   * `reason` is 1 to 200 characters (BAD_USER_INPUT); an unknown id is NOT_FOUND; voiding twice
   * is a CONFLICT. Inside a closed reporting period (by visitedOn) only ADMIN may void.
   */
  async voidVisit(viewer: Viewer | null, id: string, reason: string): Promise<Visit> {
    await this.app.deps.scopes.of(viewer);
    const why = requireVoidReason(reason);
    const visit = await this.prisma.visit.findUnique({ where: { id: requireId(id, "id") } });
    if (!visit) throw notFound("Visit");
    const { alliancePath } = await this.app.get(HouseholdService).requireInScope(viewer, visit.householdId);
    if (viewer?.role === "PARTNER" && (!viewer.organizationId || visit.organizationId !== viewer.organizationId.toLowerCase())) {
      throw forbidden("A partner voids only the visits its own organization made");
    }
    if (visit.voidedAt) throw conflict(`id: this visit was voided already, on ${isoDate(visit.voidedAt)}`, { field: "id" });
    const guard = new ClosedPeriodGuard(this.app, viewer, { id: visit.id, reason: why });
    return guard.around(() =>
      runMutation(this.app, viewer, { operation: "voidVisit", input: guard.audit }, async (tx) => {
        await guard.check(tx, alliancePath, visit.visitedOn, "id");
        const voided = await tx.visit.updateMany({
          where: { id: visit.id, voidedAt: null },
          data: { voidedAt: new Date(), voidedById: viewer?.accountId ?? null, voidReason: why },
        });
        if (voided.count === 0) throw conflict("id: this visit was voided meanwhile", { field: "id" });
        return tx.visit.findUniqueOrThrow({ where: { id: visit.id } });
      }),
    );
  }

  /**
   * A PARTNER records a visit only for a household assigned to its organization on the day of
   * the visit, dated at most PARTNER_VISIT_DAYS_BACK days before today: FORBIDDEN otherwise.
   */
  private async requireAssignedVisit(organizationId: string, householdId: string, visitedOn: Date, today: Date): Promise<void> {
    const earliest = new Date(today.getTime() - PARTNER_VISIT_DAYS_BACK * DAY_MS);
    if (visitedOn.getTime() < earliest.getTime()) {
      throw new AppError(
        ErrorCode.FORBIDDEN,
        `visitedOn: a partner records visits of the last ${PARTNER_VISIT_DAYS_BACK} days only (from ${isoDate(earliest)})`,
        { field: "visitedOn" },
      );
    }
    if (!(await this.app.get(AssignmentService).isAssigned(organizationId, householdId, visitedOn))) {
      throw new AppError(
        ErrorCode.FORBIDDEN,
        "householdId: a partner records visits only to households assigned to its organization on the day of the visit",
        { field: "householdId" },
      );
    }
  }

  /** The organization a visit is recorded for: a PARTNER's own; for others one they may see, or none. */
  private async visitingOrganization(viewer: Viewer | null, requested: string | null | undefined): Promise<string | null> {
    if (viewer?.role === "PARTNER") {
      if (!viewer.organizationId) throw forbidden("Your account has no organization");
      if (requested && requireId(requested, "organizationId") !== viewer.organizationId.toLowerCase()) {
        throw forbidden("A partner records visits for its own organization only");
      }
      return viewer.organizationId;
    }
    if (!requested) return null;
    const organization = await this.app.get(OrganizationService).findOne(viewer, requireId(requested, "organizationId"));
    if (!organization) throw badInput("organizationId", "no organization has this id");
    return organization.id;
  }
}
