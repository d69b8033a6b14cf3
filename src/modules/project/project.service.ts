import { allianceScopeSql, allianceScopeWhere, inScope, type Scope, type Viewer } from "../../auth";
import type { ProjectStatus } from "../../common/enums";
import { isId, requireId, selectByIdsInOrder } from "../../common/ids";
import { runMutation } from "../../common/mutation";
import { keysetPage, partitionedPages, type Connection, type PageArgs, type PartitionPage, type SqlSortKey } from "../../common/pagination";
import { Decimal, isoDate } from "../../common/scalars";
import type { App } from "../../context";
import { badInput, conflict, forbidden, notFound } from "../../errors";
import { Prisma, type ServiceProject } from "../../generated/prisma/client";
import { ClosedPeriodGuard } from "../reporting";
import type { CreateServiceProjectInput, ProjectOrder, ServiceProjectFilter, UpdateServiceProjectInput } from "./project.inputs";

const DAY_MS = 86_400_000;

/** The status changes setProjectStatus allows, by current status. */
const TRANSITIONS: Record<ProjectStatus, readonly ProjectStatus[]> = {
  PLANNED: ["ACTIVE", "CANCELLED"],
  ACTIVE: ["COMPLETED", "CANCELLED"],
  COMPLETED: [],
  CANCELLED: [],
};

const newestFirstSql = [
  { sql: "p.start_date", type: "date" as const },
  { sql: "p.id", type: "uuid" as const },
];

/** Keyset keys by budget, the id last for ties. */
const byBudget: (SqlSortKey & { field: string })[] = [
  { sql: "p.budget", type: "numeric", field: "budget" },
  { sql: "p.id", type: "uuid", field: "id" },
];

/** The keyset order of each ProjectOrder: its keys (the id last, for ties) and direction. */
const PROJECT_ORDERS: Record<ProjectOrder, { keys: (SqlSortKey & { field: string })[]; direction: "asc" | "desc" }> = {
  START_DATE_DESC: {
    keys: [
      { ...newestFirstSql[0], field: "startDate" },
      { ...newestFirstSql[1], field: "id" },
    ],
    direction: "desc",
  },
  BUDGET_DESC: { keys: byBudget, direction: "desc" },
  BUDGET_ASC: { keys: byBudget, direction: "asc" },
};

/** A project with the path of its alliance, for scope checks. */
export interface ProjectWithPath {
  project: ServiceProject;
  alliancePath: string;
}

/** The columns of a ServiceProject record, from `service_project p`, named as Prisma names them. */
export const PROJECT_COLUMNS = Prisma.sql`p.id::text AS id, p.name, p.alliance_id::text AS "allianceId", p.category::text AS category,
  p.status::text AS status, p.lead_organization_id::text AS "leadOrganizationId", p.start_date AS "startDate",
  p.end_date AS "endDate", p.budget, p.created_at AS "createdAt"`;

/** Service projects: who may see and run them, their partners, their status. */
export class ProjectService {
  constructor(private readonly app: App) {}

  private get prisma() {
    return this.app.prisma;
  }

  /**
   * Prisma `where` for the projects a viewer may read: all (ADMIN), those of alliances in the
   * subtree (COORDINATOR), those the organization leads or partners in (PARTNER).
   */
  visibleWhere(viewer: Viewer | null, scope: Scope): Prisma.ServiceProjectWhereInput {
    if (scope.all) return {};
    if (viewer?.role === "PARTNER") {
      const organizationId = scope.organizationId;
      if (!organizationId) return { id: { in: [] } };
      return { OR: [{ leadOrganizationId: organizationId }, { partners: { some: { organizationId } } }] };
    }
    return { alliance: allianceScopeWhere(scope) };
  }

  /** The SQL twin of visibleWhere, over `service_project p` joined to `alliance a`. */
  visibleSql(viewer: Viewer | null, scope: Scope): Prisma.Sql {
    if (scope.all) return Prisma.sql`TRUE`;
    if (viewer?.role === "PARTNER") {
      const organizationId = scope.organizationId;
      if (!organizationId) return Prisma.sql`FALSE`;
      return Prisma.sql`(p.lead_organization_id = ${organizationId}::uuid OR EXISTS (
        SELECT 1 FROM project_partner vpp WHERE vpp.project_id = p.id AND vpp.organization_id = ${organizationId}::uuid))`;
    }
    return allianceScopeSql(scope, "a.path");
  }

  /** Projects by id, in key order, null for misses; no scope check (callers reach them through records in scope). */
  async findByIds(ids: readonly string[]): Promise<(ServiceProject | null)[]> {
    return selectByIdsInOrder(this.app.deps.db, (valid) => Prisma.sql`SELECT ${PROJECT_COLUMNS} FROM service_project p WHERE p.id = ANY(${valid}::uuid[])`, ids);
  }

  /** The project with its alliance's path, or null when there is none. */
  async withPath(id: string): Promise<ProjectWithPath | null> {
    if (!isId(id)) return null;
    const row = await this.prisma.serviceProject.findUnique({
      where: { id },
      include: { alliance: { select: { path: true } } },
    });
    if (!row) return null;
    const { alliance, ...project } = row;
    return { project, alliancePath: alliance.path };
  }

  /** True when the organization leads the project or is one of its partners. */
  async involves(projectId: string, organizationId: string | null): Promise<boolean> {
    if (!organizationId) return false;
    const count = await this.prisma.serviceProject.count({
      where: {
        id: projectId,
        OR: [{ leadOrganizationId: organizationId }, { partners: { some: { organizationId } } }],
      },
    });
    return count > 0;
  }

  /** True when the viewer may read the project. */
  async canRead(viewer: Viewer | null, target: ProjectWithPath): Promise<boolean> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (scope.all) return true;
    if (viewer?.role === "PARTNER") return this.involves(target.project.id, scope.organizationId);
    return inScope(scope, target.alliancePath);
  }

  /** One project: null when there is none, FORBIDDEN when the viewer may not read it. */
  async findOne(viewer: Viewer | null, id: string): Promise<ServiceProject | null> {
    await this.app.deps.scopes.of(viewer);
    const target = await this.withPath(id);
    if (!target) return null;
    if (!(await this.canRead(viewer, target))) throw forbidden("This project is outside your scope");
    return target.project;
  }

  /**
   * The project the viewer may manage (its fundings, status, grant allocations): ADMIN, or a
   * COORDINATOR whose subtree holds it. NOT_FOUND when there is none; FORBIDDEN otherwise.
   */
  async requireManageable(viewer: Viewer | null, id: string): Promise<ProjectWithPath> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Only coordinators manage projects");
    const target = await this.withPath(requireId(id, "projectId"));
    if (!target) throw notFound("Project");
    if (!inScope(scope, target.alliancePath)) throw forbidden("This project is outside your subtree");
    return target;
  }

  /**
   * Projects the viewer may read, in `order` (newest start first by default); `allianceId` keeps
   * that alliance's subtree.
   */
  async list(
    viewer: Viewer | null,
    allianceId: string | null | undefined,
    filter: ServiceProjectFilter | null | undefined,
    page: PageArgs,
    order: ProjectOrder = "START_DATE_DESC",
  ): Promise<Connection<ServiceProject>> {
    const scope = await this.app.deps.scopes.of(viewer);
    const conditions = [this.visibleSql(viewer, scope), ...this.filterSql(filter)];
    if (allianceId) {
      const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(allianceId, "allianceId"));
      conditions.push(Prisma.sql`a.path LIKE ${`${alliance.path}%`}`);
    }
    return keysetPage<ServiceProject>(this.app.deps.db, {
      columns: PROJECT_COLUMNS,
      from: Prisma.sql`FROM service_project p JOIN alliance a ON a.id = p.alliance_id`,
      where: Prisma.join(conditions, " AND "),
      ...PROJECT_ORDERS[order],
      args: page,
    });
  }

  /** Pages of the projects in each alliance's subtree (visible to the viewer), in one statement. */
  async alliancePages(
    viewer: Viewer | null,
    allianceIds: readonly string[],
    filter: ServiceProjectFilter | null | undefined,
    page: PageArgs,
  ): Promise<PartitionPage[]> {
    const scope = await this.app.deps.scopes.of(viewer);
    const conditions = [this.visibleSql(viewer, scope), ...this.filterSql(filter)];
    return partitionedPages(this.app.deps.db, allianceIds, {
      from: Prisma.sql`FROM alliance root
        JOIN alliance a ON a.path LIKE root.path || '%'
        JOIN service_project p ON p.alliance_id = a.id
        WHERE root.id = ANY(${[...allianceIds]}::uuid[]) AND ${Prisma.join(conditions, " AND ")}`,
      partitionBy: "root.id",
      keys: newestFirstSql,
      direction: "desc",
      args: page,
    });
  }

  /** Pages of the projects each organization leads or partners in (visible to the viewer), in one statement. */
  async organizationPages(viewer: Viewer | null, organizationIds: readonly string[], page: PageArgs): Promise<PartitionPage[]> {
    const scope = await this.app.deps.scopes.of(viewer);
    const ids = [...organizationIds];
    return partitionedPages(this.app.deps.db, organizationIds, {
      from: Prisma.sql`FROM (
          SELECT lp.id AS project_id, lp.lead_organization_id AS organization_id
            FROM service_project lp WHERE lp.lead_organization_id = ANY(${ids}::uuid[])
          UNION
          SELECT pp.project_id, pp.organization_id
            FROM project_partner pp WHERE pp.organization_id = ANY(${ids}::uuid[])
        ) involved
        JOIN service_project p ON p.id = involved.project_id
        JOIN alliance a ON a.id = p.alliance_id
        WHERE ${this.visibleSql(viewer, scope)}`,
      partitionBy: "involved.organization_id",
      keys: newestFirstSql,
      direction: "desc",
      args: page,
    });
  }

  /** The first `limit` partner organization ids of each project (by id), in key order: one windowed statement. */
  async partnerIdsOf(projectIds: readonly string[], limit: number): Promise<string[][]> {
    const valid = [...new Set(projectIds.filter(isId))];
    const rows = valid.length
      ? await this.prisma.$queryRaw<{ project_id: string; organization_id: string }[]>`
          SELECT project_id, organization_id FROM (
            SELECT pp.project_id::text AS project_id, pp.organization_id::text AS organization_id,
                   row_number() OVER (PARTITION BY pp.project_id ORDER BY pp.organization_id) AS rn
              FROM project_partner pp WHERE pp.project_id = ANY(${valid}::uuid[])
          ) ranked
          WHERE rn <= ${limit}
          ORDER BY project_id, rn`
      : [];
    const byProject = new Map<string, string[]>();
    for (const row of rows) {
      const list = byProject.get(row.project_id) ?? [];
      list.push(row.organization_id);
      byProject.set(row.project_id, list);
    }
    return projectIds.map((id) => byProject.get(id) ?? []);
  }

  /**
   * Creates a PLANNED project in an alliance of the viewer's subtree (ADMIN, COORDINATOR). The
   * lead and the partners must be members of the alliance or of one of its ancestors; the lead
   * is dropped from the partners if named there too.
   */
  async create(viewer: Viewer | null, input: CreateServiceProjectInput): Promise<ServiceProject> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Only coordinators create projects");
    const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(input.allianceId, "allianceId"));
    if (input.budget.lte(0)) throw badInput("budget", "must be greater than 0");
    if (input.endDate && input.endDate < input.startDate) throw badInput("endDate", "must be on or after startDate");
    const leadId = requireId(input.leadOrganizationId, "leadOrganizationId");
    const partnerIds = [...new Set((input.partnerIds ?? []).map((id) => requireId(id, "partnerIds")))].filter((id) => id !== leadId);

    await this.requireMembers(alliance.path, leadId, partnerIds);

    const guard = new ClosedPeriodGuard(this.app, viewer, input);
    return guard.around(() => runMutation(
      this.app,
      viewer,
      {
        operation: "createServiceProject",
        input: guard.audit,
        keyInput: input,
        idempotencyKey: input.idempotencyKey,
        findExisting: (tx, id) => tx.serviceProject.findUnique({ where: { id } }),
      },
      async (tx) => {
        await guard.check(tx, alliance.path, input.startDate, "startDate");
        return tx.serviceProject.create({
          data: {
            name: input.name,
            allianceId: alliance.id,
            category: input.category,
            leadOrganizationId: leadId,
            startDate: input.startDate,
            endDate: input.endDate ?? null,
            budget: input.budget,
            partners: { create: partnerIds.map((organizationId) => ({ organizationId })) },
          },
        });
      },
    ));
  }

  /**
   * The lead (when given) and the partners must be organizations that are members of the
   * alliance at `alliancePath` or of one of its ancestors: BAD_USER_INPUT naming the field otherwise.
   */
  private async requireMembers(alliancePath: string, leadId: string | null, partnerIds: readonly string[]): Promise<void> {
    const lineage = alliancePath.split("/").filter(Boolean);
    const organizations = await this.prisma.organization.findMany({
      where: { id: { in: [...(leadId ? [leadId] : []), ...partnerIds] } },
      select: { id: true, memberships: { where: { allianceId: { in: lineage } }, select: { allianceId: true } } },
    });
    const eligible = new Map(organizations.map((o) => [o.id, o.memberships.length > 0]));
    if (leadId) {
      if (!eligible.has(leadId)) throw badInput("leadOrganizationId", "no organization has this id");
      if (!eligible.get(leadId)) {
        throw badInput("leadOrganizationId", "must be a member of the project's alliance or of one of its ancestors");
      }
    }
    const unknown = partnerIds.filter((id) => !eligible.has(id));
    if (unknown.length) throw badInput("partnerIds", `no organization has the id ${unknown[0]}`, { ids: unknown });
    const outsiders = partnerIds.filter((id) => !eligible.get(id));
    if (outsiders.length) {
      throw badInput("partnerIds", "every partner must be a member of the project's alliance or of one of its ancestors", {
        ids: outsiders,
      });
    }
  }

  /**
   * Changes a project's name, dates, budget or partners (ADMIN, COORDINATOR of its subtree;
   * PARTNER FORBIDDEN); fields not given stay. The budget must be greater than 0 and at least
   * what the project is funded already (fundings not voided), endDate on or after startDate, and
   * the partners members of its alliance or of an ancestor (BAD_USER_INPUT otherwise). Name and
   * budget are always editable; changing which of the project's days lie in a closed reporting
   * period (its dates), or the partners of a project started on or before the closed date, is a
   * CONFLICT except for ADMIN (a correction, noted in the audit log).
   */
  async update(viewer: Viewer | null, input: UpdateServiceProjectInput): Promise<ServiceProject> {
    const { project, alliancePath } = await this.requireManageable(viewer, input.id);
    const name = input.name === undefined || input.name === null ? null : input.name.trim();
    if (name === "") throw badInput("name", "must not be blank");
    if (input.budget && input.budget.lte(0)) throw badInput("budget", "must be greater than 0");
    const startDate = input.startDate ?? project.startDate;
    const endDate = input.endDate ?? project.endDate;
    if (endDate && endDate.getTime() < startDate.getTime()) {
      throw badInput(input.endDate ? "endDate" : "startDate", `endDate (${isoDate(endDate)}) must be on or after startDate (${isoDate(startDate)})`);
    }
    const partnerIds = input.partnerIds
      ? [...new Set(input.partnerIds.map((id) => requireId(id, "partnerIds")))].filter((id) => id !== project.leadOrganizationId)
      : null;
    if (partnerIds) await this.requireMembers(alliancePath, null, partnerIds);
    const startChanged = startDate.getTime() !== project.startDate.getTime();
    const endChanged = (endDate?.getTime() ?? null) !== (project.endDate?.getTime() ?? null);

    const guard = new ClosedPeriodGuard(this.app, viewer, input);
    return guard.around(() =>
      runMutation(this.app, viewer, { operation: "updateServiceProject", input: guard.audit }, async (tx) => {
        if (startChanged) {
          const earliest = Math.min(startDate.getTime(), project.startDate.getTime());
          await guard.check(tx, alliancePath, new Date(earliest), "startDate");
        }
        if (endChanged) {
          // The first day that is in the project on one side and not on the other.
          const ends = [endDate, project.endDate].filter((d): d is Date => d !== null).map((d) => d.getTime());
          await guard.check(tx, alliancePath, new Date(Math.min(...ends) + DAY_MS), "endDate");
        }
        if (partnerIds) {
          const current = await tx.projectPartner.findMany({ where: { projectId: project.id }, select: { organizationId: true } });
          const before = new Set(current.map((p) => p.organizationId));
          const changed = before.size !== partnerIds.length || partnerIds.some((id) => !before.has(id));
          if (changed) {
            await guard.check(tx, alliancePath, new Date(Math.min(startDate.getTime(), project.startDate.getTime())), "partnerIds");
            await tx.projectPartner.deleteMany({ where: { projectId: project.id } });
            await tx.projectPartner.createMany({ data: partnerIds.map((organizationId) => ({ projectId: project.id, organizationId })) });
          }
        }
        if (input.budget) {
          const [funded] = await tx.$queryRaw<{ total: string | null }[]>`
            SELECT sum(amount)::text AS total FROM funding WHERE project_id = ${project.id}::uuid AND voided_at IS NULL`;
          const total = new Decimal(funded?.total ?? "0");
          if (input.budget.lt(total)) {
            throw badInput("budget", `must be at least the ${total.toFixed(2)} yuan the project is funded already`, { funded: total.toFixed(2) });
          }
        }
        return tx.serviceProject.update({
          where: { id: project.id },
          data: {
            ...(name !== null ? { name } : {}),
            ...(startChanged ? { startDate } : {}),
            ...(endChanged ? { endDate } : {}),
            ...(input.budget ? { budget: input.budget } : {}),
          },
        });
      }),
    );
  }

  /**
   * Moves a project along PLANNED → ACTIVE → COMPLETED, or to CANCELLED from PLANNED or ACTIVE
   * (ADMIN, COORDINATOR of its subtree). Any other change, or a change that lost a race with
   * another one, fails with CONFLICT.
   */
  async setStatus(viewer: Viewer | null, projectId: string, status: ProjectStatus): Promise<ServiceProject> {
    const { project } = await this.requireManageable(viewer, projectId);
    const from = project.status;
    if (!TRANSITIONS[from].includes(status)) {
      throw conflict(`status: a ${from} project cannot become ${status}`, { field: "status", from, to: status });
    }
    return runMutation(this.app, viewer, { operation: "setProjectStatus", input: { projectId, status } }, async (tx) => {
      const updated = await tx.serviceProject.updateMany({ where: { id: project.id, status: from }, data: { status } });
      if (updated.count === 0) {
        throw conflict("status: the project's status changed meanwhile; read it again", { field: "status" });
      }
      return tx.serviceProject.findUniqueOrThrow({ where: { id: project.id } });
    });
  }

  private filterSql(filter: ServiceProjectFilter | null | undefined): Prisma.Sql[] {
    if (!filter) return [];
    this.checkFilter(filter);
    const and: Prisma.Sql[] = [];
    if (filter.status?.length) and.push(Prisma.sql`p.status::text = ANY(${filter.status}::text[])`);
    if (filter.category?.length) and.push(Prisma.sql`p.category::text = ANY(${filter.category}::text[])`);
    if (filter.activeTo) and.push(Prisma.sql`p.start_date <= ${isoDate(filter.activeTo)}::date`);
    if (filter.activeFrom) and.push(Prisma.sql`(p.end_date IS NULL OR p.end_date >= ${isoDate(filter.activeFrom)}::date)`);
    return and;
  }

  private checkFilter(filter: ServiceProjectFilter): void {
    if (filter.activeFrom && filter.activeTo && filter.activeTo < filter.activeFrom) {
      throw badInput("filter.activeTo", "must be on or after activeFrom");
    }
  }
}
