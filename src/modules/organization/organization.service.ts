import { allianceScopeSql, allianceScopeWhere, inScope, type Scope, type Viewer } from "../../auth";
import type { OrganizationKind, ServiceCategory } from "../../common/enums";
import { isId, requireId, selectByIdsInOrder } from "../../common/ids";
import { runMutation, type Emit, type Tx } from "../../common/mutation";
import { isoDate, todayInChina } from "../../common/scalars";
import { paginate, partitionedPages, type Connection, type PageArgs, type PartitionPage } from "../../common/pagination";
import type { App } from "../../context";
import { badInput, conflict, forbidden, notFound } from "../../errors";
import { Prisma, type Alliance, type Organization } from "../../generated/prisma/client";
import { AssignmentService } from "../assignment";
import { ClosedPeriodGuard } from "../reporting";
import { ServiceRequestService } from "../service-request";
import type { CreateOrganizationInput, UpdateOrganizationInput } from "./organization.inputs";

const byName = { fields: ["name", "id"] as ("name" | "id")[], direction: "asc" as const };

export interface OrganizationFilter {
  kind?: OrganizationKind | null;
  allianceId?: string | null;
  category?: ServiceCategory | null;
}

/** The columns of an Organization record, from `organization o`, named as Prisma names them. */
export const ORGANIZATION_COLUMNS = Prisma.sql`o.id::text AS id, o.name, o.kind::text AS kind, o.credit_code AS "creditCode",
  o.service_categories::text[] AS "serviceCategories", o.created_at AS "createdAt"`;

/** Partner organizations and their alliance memberships. */
export class OrganizationService {
  constructor(private readonly app: App) {}

  private get prisma() {
    return this.app.prisma;
  }

  /**
   * Prisma `where` for the organizations a scope reaches: members of an alliance in it, and a
   * partner's own organization.
   */
  visibleWhere(scope: Scope): Prisma.OrganizationWhereInput {
    if (scope.all) return {};
    const viaMembership: Prisma.OrganizationWhereInput = { memberships: { some: { alliance: allianceScopeWhere(scope) } } };
    return scope.organizationId ? { OR: [{ id: scope.organizationId }, viaMembership] } : viaMembership;
  }

  /** Organizations by id, in key order, null for misses; no scope check. */
  async findByIds(ids: readonly string[]): Promise<(Organization | null)[]> {
    return selectByIdsInOrder(this.app.deps.db, (valid) => Prisma.sql`SELECT ${ORGANIZATION_COLUMNS} FROM organization o WHERE o.id = ANY(${valid}::uuid[])`, ids);
  }

  /** One organization: null when there is none, FORBIDDEN when the viewer's scope does not reach it. */
  async findOne(viewer: Viewer | null, id: string): Promise<Organization | null> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (!isId(id)) return null;
    const organization = await this.prisma.organization.findUnique({ where: { id } });
    if (!organization) return null;
    if (scope.all) return organization;
    const visible = await this.prisma.organization.count({ where: { AND: [{ id }, this.visibleWhere(scope)] } });
    if (!visible) throw forbidden("This organization is outside your scope");
    return organization;
  }

  /** Organizations in scope, by name; `allianceId` keeps members of that alliance or any below it. */
  async list(viewer: Viewer | null, filter: OrganizationFilter, page: PageArgs): Promise<Connection<Organization>> {
    const scope = await this.app.deps.scopes.of(viewer);
    const and: Prisma.OrganizationWhereInput[] = [this.visibleWhere(scope)];
    if (filter.kind) and.push({ kind: filter.kind });
    if (filter.category) and.push({ serviceCategories: { has: filter.category } });
    if (filter.allianceId) {
      const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(filter.allianceId, "allianceId"));
      and.push({ memberships: { some: { alliance: { path: { startsWith: alliance.path } } } } });
    }
    return paginate(this.prisma.organization, { AND: and }, byName, page);
  }

  /** SQL over `organization o` that keeps the organizations a scope reaches (as visibleWhere). */
  visibleSql(scope: Scope): Prisma.Sql {
    if (scope.all) return Prisma.sql`TRUE`;
    const viaMembership = Prisma.sql`EXISTS (
      SELECT 1 FROM alliance_membership vm JOIN alliance va ON va.id = vm.alliance_id
       WHERE vm.organization_id = o.id AND ${allianceScopeSql(scope, "va.path")})`;
    return scope.organizationId ? Prisma.sql`(o.id = ${scope.organizationId}::uuid OR ${viaMembership})` : viaMembership;
  }

  /**
   * Pages of direct members for many alliances in one statement, only organizations the viewer
   * could read with `organization(id)`: this narrows the members of an alliance outside its scope.
   */
  async memberPages(
    viewer: Viewer | null,
    parentIds: readonly string[],
    kind: OrganizationKind | null | undefined,
    page: PageArgs,
  ): Promise<PartitionPage[]> {
    const scope = await this.app.deps.scopes.of(viewer);
    const kindClause = kind ? Prisma.sql`AND o.kind = ${kind}::"OrganizationKind"` : Prisma.empty;
    return partitionedPages(this.app.deps.db, parentIds, {
      from: Prisma.sql`FROM alliance_membership m JOIN organization o ON o.id = m.organization_id
        WHERE m.alliance_id = ANY(${[...parentIds]}::uuid[]) ${kindClause} AND ${this.visibleSql(scope)}`,
      partitionBy: "m.alliance_id",
      keys: [
        { sql: "o.name", type: "text" },
        { sql: "o.id", type: "uuid" },
      ],
      direction: "asc",
      args: page,
    });
  }

  /** The first `limit` alliances of each organization (by region code), within the viewer's scope, in key order. */
  async alliancesOf(viewer: Viewer | null, organizationIds: readonly string[], limit: number): Promise<Alliance[][]> {
    const scope = await this.app.deps.scopes.of(viewer);
    const valid = [...new Set(organizationIds.filter(isId))];
    if (valid.length === 0) return organizationIds.map(() => []);
    const rows = await this.prisma.$queryRaw<(Alliance & { organization_id: string })[]>`
      SELECT organization_id, id, name, level, "regionCode", "operatingStatus", "parentId", path FROM (
        SELECT m.organization_id::text AS organization_id, a.id::text AS id, a.name, a.level::text AS level,
               a.region_code AS "regionCode", a.operating_status::text AS "operatingStatus",
               a.parent_id::text AS "parentId", a.path,
               row_number() OVER (PARTITION BY m.organization_id ORDER BY a.region_code) AS rn
          FROM alliance_membership m JOIN alliance a ON a.id = m.alliance_id
         WHERE m.organization_id = ANY(${valid}::uuid[]) AND ${allianceScopeSql(scope, "a.path")}
      ) ranked
      WHERE rn <= ${limit}
      ORDER BY organization_id, rn`;
    return organizationIds.map((id) => rows.filter((row) => row.organization_id === id));
  }

  /** Creates an organization in the given alliances (ADMIN; a COORDINATOR within its subtree). */
  async create(viewer: Viewer | null, input: CreateOrganizationInput): Promise<Organization> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot create organizations");
    if (!scope.all && input.allianceIds.length === 0) {
      throw badInput("allianceIds", "name at least one alliance of your subtree");
    }
    const allianceIds = [...new Set(input.allianceIds.map((id) => requireId(id, "allianceIds")))];
    const alliances = await this.prisma.alliance.findMany({ where: { id: { in: allianceIds } }, select: { id: true, path: true } });
    if (alliances.length !== allianceIds.length) throw badInput("allianceIds", "one of these alliances does not exist");
    if (alliances.some((a) => !inScope(scope, a.path))) throw forbidden("One of these alliances is outside your scope");
    const spec = {
      operation: "createOrganization",
      input,
      idempotencyKey: input.idempotencyKey,
      findExisting: (tx: Tx, id: string) => tx.organization.findUnique({ where: { id } }),
    };
    return runMutation(this.app, viewer, spec, async (tx) => {
      if (input.creditCode && (await tx.organization.findUnique({ where: { creditCode: input.creditCode }, select: { id: true } }))) {
        throw conflict("creditCode: another organization has this 统一社会信用代码", { field: "creditCode" });
      }
      return tx.organization.create({
        data: {
          name: input.name,
          kind: input.kind,
          creditCode: input.creditCode ?? null,
          serviceCategories: [...new Set(input.serviceCategories)],
          memberships: { create: allianceIds.map((allianceId) => ({ allianceId })) },
        },
      });
    });
  }

  /**
   * Makes an organization a member of an alliance in the viewer's subtree; joining twice is
   * harmless. A COORDINATOR may do it only for an organization none of whose memberships lies
   * outside its subtree (FORBIDDEN otherwise, nothing written): it may not widen what an
   * organization known elsewhere sees, nor what a partner account it then makes would see.
   */
  async join(viewer: Viewer | null, organizationId: string, allianceId: string): Promise<Organization> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot change memberships");
    const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(allianceId, "allianceId"));
    const organization = await this.prisma.organization.findUnique({ where: { id: requireId(organizationId, "organizationId") } });
    if (!organization) throw notFound("Organization");
    return runMutation(this.app, viewer, { operation: "joinAlliance", input: { organizationId, allianceId } }, async (tx, emit) => {
      if (!scope.all) {
        const outside = await tx.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM alliance_membership m JOIN alliance a ON a.id = m.alliance_id
           WHERE m.organization_id = ${organization.id}::uuid AND NOT ${allianceScopeSql(scope, "a.path")}`;
        if (Number(outside[0]?.n ?? 0) > 0) {
          throw forbidden("This organization is also a member of alliances outside your subtree; only ADMIN can add it to more");
        }
      }
      await tx.allianceMembership.upsert({
        where: { organizationId_allianceId: { organizationId: organization.id, allianceId: alliance.id } },
        create: { organizationId: organization.id, allianceId: alliance.id },
        update: {},
      });
      await this.membershipsChanged(tx, emit, organization.id);
      return organization;
    });
  }

  /**
   * Ends an organization's membership of an alliance on `on` (its first day outside; default
   * today, China time): ADMIN, or a COORDINATOR whose subtree holds the alliance. `on` must not
   * be in the future nor before the day it joined; an organization that is not a member of the
   * alliance is BAD_USER_INPUT; a day in a closed reporting period is a CONFLICT except for
   * ADMIN. In one transaction: the membership moves to alliance_membership_end; in the subtrees
   * it no longer reaches through another membership, its CLAIMED requests go back to OPEN (each
   * with a RELEASED event) and its care assignments end the day before `on` (those not started
   * by then are removed). Its partners' scope, live subscriptions included, shrinks at once.
   */
  async leave(viewer: Viewer | null, allianceId: string, organizationId: string, on: Date | null | undefined): Promise<Organization> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot change memberships");
    const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(allianceId, "allianceId"));
    const organization = await this.prisma.organization.findUnique({ where: { id: requireId(organizationId, "organizationId") } });
    if (!organization) throw notFound("Organization");
    const membership = await this.prisma.allianceMembership.findUnique({
      where: { organizationId_allianceId: { organizationId: organization.id, allianceId: alliance.id } },
    });
    if (!membership) throw badInput("organizationId", "the organization is not a member of this alliance");
    const today = todayInChina();
    const leftOn = on ?? today;
    if (leftOn.getTime() > today.getTime()) throw badInput("on", `must not be in the future (today is ${isoDate(today)}, China time)`);
    const joinedOn = todayInChina(membership.joinedAt);
    if (leftOn.getTime() < joinedOn.getTime()) throw badInput("on", `must not be before the day it joined (${isoDate(joinedOn)})`);

    const guard = new ClosedPeriodGuard(this.app, viewer, { allianceId: alliance.id, organizationId: organization.id, on: isoDate(leftOn) });
    return guard.around(() =>
      runMutation(this.app, viewer, { operation: "leaveAlliance", input: guard.audit }, async (tx, emit) => {
        await guard.check(tx, alliance.path, leftOn, "on");
        const removed = await tx.allianceMembership.deleteMany({ where: { organizationId: organization.id, allianceId: alliance.id } });
        if (removed.count === 0) throw conflict("organizationId: the organization left this alliance meanwhile", { field: "organizationId" });
        await tx.allianceMembershipEnd.create({
          data: {
            organizationId: organization.id,
            allianceId: alliance.id,
            joinedAt: membership.joinedAt,
            leftOn,
            endedById: viewer?.accountId ?? null,
          },
        });
        const remaining = await this.membershipsChanged(tx, emit, organization.id);
        await this.app.get(ServiceRequestService).releaseClaimsOnLeaving(tx, emit, organization.id, alliance.path, remaining);
        await this.app.get(AssignmentService).endOnLeaving(tx, organization.id, alliance.path, remaining, leftOn, viewer?.accountId ?? null);
        return organization;
      }),
    );
  }

  /**
   * After a membership change inside the transaction: the paths of the alliances the
   * organization is a member of now, also told to its partners' live subscriptions (an
   * ORGANIZATION_MEMBERSHIPS event, before any event the change raises).
   */
  private async membershipsChanged(tx: Tx, emit: Emit, organizationId: string): Promise<string[]> {
    const rows = await tx.$queryRaw<{ path: string }[]>`
      SELECT a.path FROM alliance_membership m JOIN alliance a ON a.id = m.alliance_id
       WHERE m.organization_id = ${organizationId}::uuid ORDER BY a.path`;
    const paths = rows.map((row) => row.path);
    emit({ topic: "ORGANIZATION_MEMBERSHIPS", payload: { organizationId, paths } });
    return paths;
  }

  /**
   * Changes an organization's name, credit code, service categories or kind; fields not given
   * stay. ADMIN any; a COORDINATOR an organization all of whose memberships lie in its subtree
   * (FORBIDDEN otherwise, as for joinAlliance), and never its kind (ADMIN only). A credit code
   * another organization has is a CONFLICT.
   */
  async update(viewer: Viewer | null, input: UpdateOrganizationInput): Promise<Organization> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot change organizations");
    const organization = await this.prisma.organization.findUnique({
      where: { id: requireId(input.id, "id") },
      include: { memberships: { select: { alliance: { select: { path: true } } } } },
    });
    if (!organization) throw notFound("Organization");
    if (!scope.all) {
      const paths = organization.memberships.map((m) => m.alliance.path);
      if (paths.length === 0 || paths.some((path) => !inScope(scope, path))) {
        throw forbidden("This organization is also a member of alliances outside your subtree; only ADMIN can change it");
      }
      if (input.kind && input.kind !== organization.kind) throw forbidden("Only ADMIN changes an organization's kind");
    }
    const name = input.name === undefined || input.name === null ? null : input.name.trim();
    if (name === "") throw badInput("name", "must not be blank");
    return runMutation(this.app, viewer, { operation: "updateOrganization", input }, async (tx) => {
      if (input.creditCode && input.creditCode !== organization.creditCode) {
        const other = await tx.organization.findUnique({ where: { creditCode: input.creditCode }, select: { id: true } });
        if (other) throw conflict("creditCode: another organization has this 统一社会信用代码", { field: "creditCode" });
      }
      return tx.organization.update({
        where: { id: organization.id },
        data: {
          ...(name !== null ? { name } : {}),
          ...(input.creditCode ? { creditCode: input.creditCode } : {}),
          ...(input.serviceCategories ? { serviceCategories: [...new Set(input.serviceCategories)] } : {}),
          ...(input.kind ? { kind: input.kind } : {}),
        },
      });
    });
  }
}
