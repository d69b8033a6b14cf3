import type { Viewer } from "../../auth";
import { inScope } from "../../auth";
import { findByIdsInOrder, isId, requireId } from "../../common/ids";
import { runMutation } from "../../common/mutation";
import { isoDate, todayInChina } from "../../common/scalars";
import type { App } from "../../context";
import { badInput, conflict, forbidden, notFound } from "../../errors";
import type { ServiceRecord } from "../../generated/prisma/client";
import { ProjectService } from "../project";
import { ClosedPeriodGuard, requireVoidReason } from "../reporting";
import { ServiceRequestService } from "../service-request";
import type { RecordServiceInput } from "./service-record.inputs";

/** 户次 and distinct households served by one project. */
export interface ServedCounts {
  householdTimes: number;
  households: number;
}

/** Service records (户次): who served which household in which project. */
export class ServiceRecordService {
  constructor(private readonly app: App) {}

  private get prisma() {
    return this.app.prisma;
  }

  /** Service records by id, in key order, null for misses; no scope check. */
  async findByIds(ids: readonly string[]): Promise<(ServiceRecord | null)[]> {
    return findByIdsInOrder(this.prisma.serviceRecord, ids);
  }

  /** 户次 and distinct households of each project (records not voided), counted in SQL in one statement, in key order. */
  async servedCountsOf(projectIds: readonly string[]): Promise<ServedCounts[]> {
    const valid = projectIds.filter(isId);
    const rows = valid.length
      ? await this.prisma.$queryRaw<{ project_id: string; times: number; households: number }[]>`
          SELECT project_id::text AS project_id, count(*)::int AS times, count(DISTINCT household_id)::int AS households
            FROM service_record WHERE project_id = ANY(${valid}::uuid[]) AND voided_at IS NULL
           GROUP BY project_id`
      : [];
    const byProject = new Map(rows.map((row) => [row.project_id, row]));
    return projectIds.map((id) => {
      const row = byProject.get(id);
      return { householdTimes: Number(row?.times ?? 0), households: Number(row?.households ?? 0) };
    });
  }

  /**
   * Records that an organization served a household in a project (one 户次).
   * - ADMIN anywhere; a COORDINATOR for projects in its subtree; a PARTNER only for its own
   *   organization (FORBIDDEN otherwise) on projects that organization leads or partners in.
   * - The serving organization must lead the project or partner in it, and the household must
   *   live in the project's alliance or below it (BAD_USER_INPUT otherwise); servedOn is not in
   *   the future.
   * - With `serviceRequestId`, the request must be one the viewer may read (NOT_FOUND, FORBIDDEN:
   *   checked before its status, which is never told otherwise); CLAIMED by that organization
   *   (else CONFLICT), it becomes FULFILLED in the same transaction, and its FULFILLED event is
   *   published after commit.
   * - A retry with the same idempotencyKey returns the first record and writes nothing.
   */
  async record(viewer: Viewer | null, input: RecordServiceInput): Promise<ServiceRecord> {
    const scope = await this.app.deps.scopes.of(viewer);
    const projects = this.app.get(ProjectService);
    const organizationId = requireId(input.organizationId, "organizationId");
    const target = await projects.withPath(requireId(input.projectId, "projectId"));
    if (!target) throw notFound("Project");
    const { project, alliancePath } = target;
    if (viewer?.role === "PARTNER") {
      if (organizationId !== viewer.organizationId) {
        throw forbidden("A partner records services only for its own organization");
      }
      if (!(await projects.involves(project.id, organizationId))) {
        throw forbidden("Your organization neither leads nor partners in this project");
      }
    } else {
      if (!inScope(scope, alliancePath)) throw forbidden("This project is outside your subtree");
      if (!(await projects.involves(project.id, organizationId))) {
        throw badInput("organizationId", "the serving organization must be the project's lead or one of its partners");
      }
    }
    const household = await this.prisma.household.findUnique({
      where: { id: requireId(input.householdId, "householdId") },
      select: { id: true, alliance: { select: { path: true } } },
    });
    if (!household) throw badInput("householdId", "no household has this id");
    if (!household.alliance.path.startsWith(alliancePath)) {
      throw badInput("householdId", "the household is not in the project's alliance or below it");
    }
    if (input.servedOn > todayInChina()) throw badInput("servedOn", "cannot be in the future");
    const serviceRequestId = input.serviceRequestId ? requireId(input.serviceRequestId, "serviceRequestId") : null;
    const guard = new ClosedPeriodGuard(this.app, viewer, input);

    return guard.around(() => runMutation(
      this.app,
      viewer,
      {
        operation: "recordService",
        input: guard.audit,
        keyInput: input,
        idempotencyKey: input.idempotencyKey,
        findExisting: (tx, id) => tx.serviceRecord.findUnique({ where: { id } }),
      },
      async (tx, emit) => {
        await guard.check(tx, household.alliance.path, input.servedOn, "servedOn");
        if (serviceRequestId) {
          await this.app.get(ServiceRequestService).fulfilInTransaction(tx, emit, scope, serviceRequestId, organizationId, household.id);
        }
        return tx.serviceRecord.create({
          data: {
            projectId: project.id,
            householdId: household.id,
            organizationId,
            servedOn: input.servedOn,
            serviceRequestId,
            note: input.note ?? null,
          },
        });
      },
    ));
  }

  /**
   * Voids a service record made in error: ADMIN, a COORDINATOR whose subtree holds the project,
   * or a PARTNER for a record its own organization made (FORBIDDEN for others' records). The
   * record stays, with who voided it, when and why, and counts in no 户次 or other figure from
   * then on. A service request it fulfilled stays FULFILLED and no event is raised: the request
   * keeps its history, and a need still open is raised anew. `reason` is 1 to 200 characters
   * (BAD_USER_INPUT); an unknown id is NOT_FOUND; voiding twice is a CONFLICT. Inside a closed
   * reporting period (by servedOn) only ADMIN may void.
   */
  async voidRecord(viewer: Viewer | null, id: string, reason: string): Promise<ServiceRecord> {
    const scope = await this.app.deps.scopes.of(viewer);
    const why = requireVoidReason(reason);
    const record = await this.prisma.serviceRecord.findUnique({
      where: { id: requireId(id, "id") },
      include: { project: { select: { alliance: { select: { path: true } } } }, household: { select: { alliance: { select: { path: true } } } } },
    });
    if (!record) throw notFound("ServiceRecord");
    if (viewer?.role === "PARTNER") {
      if (!viewer.organizationId || record.organizationId !== viewer.organizationId.toLowerCase()) {
        throw forbidden("A partner voids only the service records its own organization made");
      }
    } else if (!inScope(scope, record.project.alliance.path)) {
      throw forbidden("This service record is outside your subtree");
    }
    if (record.voidedAt) throw conflict(`id: this service record was voided already, on ${isoDate(record.voidedAt)}`, { field: "id" });
    const guard = new ClosedPeriodGuard(this.app, viewer, { id: record.id, reason: why });
    return guard.around(() =>
      runMutation(this.app, viewer, { operation: "voidServiceRecord", input: guard.audit }, async (tx) => {
        await guard.check(tx, record.household.alliance.path, record.servedOn, "id");
        const voided = await tx.serviceRecord.updateMany({
          where: { id: record.id, voidedAt: null },
          data: { voidedAt: new Date(), voidedById: viewer?.accountId ?? null, voidReason: why },
        });
        if (voided.count === 0) throw conflict("id: this service record was voided meanwhile", { field: "id" });
        return tx.serviceRecord.findUniqueOrThrow({ where: { id: record.id } });
      }),
    );
  }
}
