import type { Viewer } from "../../auth";
import { inScope } from "../../auth";
import { findByIdsInOrder, isId, requireId } from "../../common/ids";
import { runMutation } from "../../common/mutation";
import { todayInChina } from "../../common/scalars";
import type { App } from "../../context";
import { badInput, forbidden, notFound } from "../../errors";
import type { ServiceRecord } from "../../generated/prisma/client";
import { ProjectService } from "../project";
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

  /** 户次 and distinct households of each project, counted in SQL in one statement, in key order. */
  async servedCountsOf(projectIds: readonly string[]): Promise<ServedCounts[]> {
    const valid = projectIds.filter(isId);
    const rows = valid.length
      ? await this.prisma.$queryRaw<{ project_id: string; times: number; households: number }[]>`
          SELECT project_id::text AS project_id, count(*)::int AS times, count(DISTINCT household_id)::int AS households
            FROM service_record WHERE project_id = ANY(${valid}::uuid[])
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

    return runMutation(
      this.app,
      viewer,
      {
        operation: "recordService",
        input,
        idempotencyKey: input.idempotencyKey,
        findExisting: (tx, id) => tx.serviceRecord.findUnique({ where: { id } }),
      },
      async (tx, emit) => {
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
    );
  }
}
