import { allianceScopeSql, allianceScopeWhere, inScope, type Scope, type Viewer } from "../../auth";
import { listSize } from "../../common/bounded-list";
import { findByIdsInOrder, isId, requireId } from "../../common/ids";
import { runMutation, type Tx } from "../../common/mutation";
import { Decimal, isoDate, todayInChina } from "../../common/scalars";
import type { App } from "../../context";
import { AppError, ErrorCode, badInput, conflict, forbidden, notFound } from "../../errors";
import { Prisma, type Funding, type WelfareLotteryGrant } from "../../generated/prisma/client";
import { ProjectService } from "../project";
import { ClosedPeriodGuard, requireVoidReason } from "../reporting";
import type { AddFundingInput, AllocateGrantInput, CreateGrantInput } from "./funding.inputs";

function requirePositive(amount: Decimal, field: string): void {
  if (amount.lte(0)) throw badInput(field, "must be greater than 0");
}

function requireNotFuture(date: Date, field: string): void {
  if (date > todayInChina()) throw badInput(field, "cannot be in the future");
}

function groupBy<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string | null): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    if (key === null) continue;
    const list = groups.get(key) ?? [];
    list.push(row);
    groups.set(key, list);
  }
  return keys.map((key) => groups.get(key) ?? []);
}

/** Fundings of projects and the welfare-lottery grants they are allocated from. */
export class FundingService {
  constructor(private readonly app: App) {}

  private get prisma() {
    return this.app.prisma;
  }

  /**
   * The fundings of each project the viewer may see them on, oldest first, at most `limit` per
   * project, in key order: all (ADMIN), projects in the subtree (COORDINATOR), projects its
   * organization leads (PARTNER).
   */
  fundingsOf(viewer: Viewer | null, projectIds: readonly string[], limit: number): Promise<Funding[][]> {
    return this.firstFundingsPer(viewer, "project_id", projectIds, limit);
  }

  /** The sum of each project's fundings not voided (0 when it has none), computed in SQL, in key order. */
  async totalsOf(projectIds: readonly string[]): Promise<Decimal[]> {
    const valid = projectIds.filter(isId);
    const rows = valid.length
      ? await this.prisma.$queryRaw<{ project_id: string; total: string }[]>`
          SELECT project_id::text AS project_id, sum(amount)::text AS total
            FROM funding WHERE project_id = ANY(${valid}::uuid[]) AND voided_at IS NULL
           GROUP BY project_id`
      : [];
    const totals = new Map(rows.map((row) => [row.project_id, new Decimal(row.total)]));
    return projectIds.map((id) => totals.get(id) ?? new Decimal(0));
  }

  /**
   * The fundings allocated from each grant, oldest first, at most `limit` per grant, in key
   * order: only fundings of projects the viewer may see them on (as fundingsOf), whoever awarded the grant.
   */
  allocationsOf(viewer: Viewer | null, grantIds: readonly string[], limit: number): Promise<Funding[][]> {
    return this.firstFundingsPer(viewer, "grant_id", grantIds, limit);
  }

  /** SQL over `funding f` joined to `service_project p` and `alliance a`: fundings the viewer may see. */
  private visibleFundingSql(viewer: Viewer | null, scope: Scope): Prisma.Sql {
    if (scope.all) return Prisma.sql`TRUE`;
    if (viewer?.role === "PARTNER") {
      return scope.organizationId ? Prisma.sql`p.lead_organization_id = ${scope.organizationId}::uuid` : Prisma.sql`FALSE`;
    }
    return allianceScopeSql(scope, "a.path");
  }

  /** The first `limit` visible fundings per parent (a project or a grant), in one windowed statement. */
  private async firstFundingsPer(
    viewer: Viewer | null,
    parentColumn: "project_id" | "grant_id",
    parentIds: readonly string[],
    limit: number,
  ): Promise<Funding[][]> {
    const scope = await this.app.deps.scopes.of(viewer);
    const valid = [...new Set(parentIds.filter(isId))];
    if (valid.length === 0) return parentIds.map(() => []);
    const column = Prisma.raw(`f.${parentColumn}`);
    const rows = await this.app.deps.db.rows<Omit<Funding, "amount" | "receivedOn"> & { parent: string; amount: string; receivedOn: Date | string }>(Prisma.sql`
      SELECT parent, id, "projectId", source, amount, "receivedOn", "grantId", note, "createdAt", "voidedAt", "voidedById", "voidReason" FROM (
        SELECT ${column}::text AS parent, f.id::text AS id, f.project_id::text AS "projectId", f.source::text AS source,
               f.amount::text AS amount, f.received_on AS "receivedOn", f.grant_id::text AS "grantId", f.note,
               f.created_at AS "createdAt", f.voided_at AS "voidedAt", f.voided_by_id::text AS "voidedById", f.void_reason AS "voidReason",
               row_number() OVER (PARTITION BY ${column} ORDER BY f.received_on, f.created_at, f.id) AS rn
          FROM funding f
          JOIN service_project p ON p.id = f.project_id
          JOIN alliance a ON a.id = p.alliance_id
         WHERE ${column} = ANY(${valid}::uuid[]) AND ${this.visibleFundingSql(viewer, scope)}
      ) ranked
      WHERE rn <= ${limit}
      ORDER BY parent, rn`);
    const fundings = rows.map(({ parent, amount, receivedOn, ...row }) => ({
      parent,
      funding: { ...row, amount: new Decimal(amount), receivedOn: receivedOn instanceof Date ? receivedOn : new Date(`${receivedOn}T00:00:00Z`) },
    }));
    return groupBy(parentIds, fundings, (row) => row.parent).map((list) => list.map((row) => row.funding));
  }

  /** Grants by id, in key order, null for misses; no scope check. */
  async grantsByIds(ids: readonly string[]): Promise<(WelfareLotteryGrant | null)[]> {
    return findByIdsInOrder(this.prisma.welfareLotteryGrant, ids);
  }

  /** One grant: null when there is none; FORBIDDEN for PARTNER and outside a coordinator's subtree. */
  async findGrant(viewer: Viewer | null, id: string): Promise<WelfareLotteryGrant | null> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners do not see grants");
    if (!isId(id)) return null;
    const row = await this.prisma.welfareLotteryGrant.findUnique({ where: { id }, include: { alliance: { select: { path: true } } } });
    if (!row) return null;
    const { alliance, ...grant } = row;
    if (!inScope(scope, alliance.path)) throw forbidden("This grant is outside your subtree");
    return grant;
  }

  /**
   * Grants awarded to alliances in the viewer's subtree (FORBIDDEN for PARTNER), newest year
   * first, at most `first` (1..100, default 100); `allianceId` keeps that alliance's subtree, `year` one year.
   */
  async listGrants(
    viewer: Viewer | null,
    year: number | null | undefined,
    allianceId: string | null | undefined,
    first: number | null | undefined,
  ): Promise<WelfareLotteryGrant[]> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners do not see grants");
    const take = listSize(first);
    const and: Prisma.WelfareLotteryGrantWhereInput[] = [{ alliance: allianceScopeWhere(scope) }];
    if (year !== null && year !== undefined) and.push({ year });
    if (allianceId) {
      const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(allianceId, "allianceId"));
      and.push({ alliance: { path: { startsWith: alliance.path } } });
    }
    return this.prisma.welfareLotteryGrant.findMany({ where: { AND: and }, orderBy: [{ year: "desc" }, { code: "asc" }], take });
  }

  /**
   * Records money a project received from a source other than a welfare-lottery grant (ADMIN,
   * COORDINATOR of the project's subtree). WELFARE_LOTTERY is refused: that money goes through
   * allocateGrant so that a grant's `allocated` always matches its fundings.
   */
  async addFunding(viewer: Viewer | null, input: AddFundingInput): Promise<Funding> {
    const { project, alliancePath } = await this.app.get(ProjectService).requireManageable(viewer, input.projectId);
    if (input.source === "WELFARE_LOTTERY") {
      throw badInput("source", "welfare-lottery money comes from a grant: use allocateGrant");
    }
    requirePositive(input.amount, "amount");
    requireNotFuture(input.receivedOn, "receivedOn");
    const guard = new ClosedPeriodGuard(this.app, viewer, input);
    return guard.around(() => runMutation(
      this.app,
      viewer,
      {
        operation: "addFunding",
        input: guard.audit,
        keyInput: input,
        idempotencyKey: input.idempotencyKey,
        findExisting: (tx, id) => tx.funding.findUnique({ where: { id } }),
      },
      async (tx) => {
        await guard.check(tx, alliancePath, input.receivedOn, "receivedOn");
        await this.requireNotCancelled(tx, project.id);
        return tx.funding.create({
          data: {
            projectId: project.id,
            source: input.source,
            amount: input.amount,
            receivedOn: input.receivedOn,
            note: input.note ?? null,
          },
        });
      },
    ));
  }

  /** Creates a welfare-lottery grant awarded to an alliance (ADMIN only); codes are unique. */
  async createGrant(viewer: Viewer | null, input: CreateGrantInput): Promise<WelfareLotteryGrant> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role !== "ADMIN") throw forbidden("Only ADMIN creates grants");
    const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(input.allianceId, "allianceId"));
    requirePositive(input.amount, "amount");
    const code = input.code.trim();
    if (!code) throw badInput("code", "must not be blank");
    if (await this.prisma.welfareLotteryGrant.findUnique({ where: { code }, select: { id: true } })) {
      throw conflict(`code: a grant numbered ${code} exists already`, { field: "code" });
    }
    return runMutation(this.app, viewer, { operation: "createGrant", input }, (tx) =>
      tx.welfareLotteryGrant.create({
        data: { code, level: input.level, year: input.year, allianceId: alliance.id, amount: input.amount },
      }),
    );
  }

  /**
   * Gives part of a grant to a project in the grant's alliance subtree as a WELFARE_LOTTERY
   * funding (ADMIN, COORDINATOR whose subtree holds the grant's alliance and the project).
   * The grant's `allocated` grows by a conditional UPDATE in the same transaction as the
   * funding's INSERT: concurrent allocations on any number of instances never pass the
   * grant's amount, and one that does not fit fails with GRANT_EXHAUSTED, writing nothing.
   */
  async allocateGrant(viewer: Viewer | null, input: AllocateGrantInput): Promise<Funding> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Only coordinators allocate grants");
    requirePositive(input.amount, "amount");
    requireNotFuture(input.receivedOn, "receivedOn");
    const grantRow = await this.prisma.welfareLotteryGrant.findUnique({
      where: { id: requireId(input.grantId, "grantId") },
      include: { alliance: { select: { path: true } } },
    });
    if (!grantRow) throw notFound("Grant");
    if (!inScope(scope, grantRow.alliance.path)) throw forbidden("This grant is outside your subtree");
    const { project, alliancePath } = await this.app.get(ProjectService).requireManageable(viewer, input.projectId);
    if (!alliancePath.startsWith(grantRow.alliance.path)) {
      throw badInput("projectId", "the project is not in the grant's alliance or below it");
    }
    const guard = new ClosedPeriodGuard(this.app, viewer, input);
    return guard.around(() => runMutation(
      this.app,
      viewer,
      {
        operation: "allocateGrant",
        input: guard.audit,
        keyInput: input,
        idempotencyKey: input.idempotencyKey,
        findExisting: (tx, id) => tx.funding.findUnique({ where: { id } }),
      },
      async (tx) => {
        await guard.check(tx, alliancePath, input.receivedOn, "receivedOn");
        await this.requireNotCancelled(tx, project.id);
        const claimed = await tx.$queryRaw<{ id: string }[]>`
          UPDATE welfare_lottery_grant SET allocated = allocated + ${input.amount.toFixed(2)}::numeric
           WHERE id = ${grantRow.id}::uuid AND allocated + ${input.amount.toFixed(2)}::numeric <= amount
          RETURNING id::text AS id`;
        if (claimed.length === 0) {
          const [left] = await tx.$queryRaw<{ remaining: string }[]>`
            SELECT (amount - allocated)::text AS remaining FROM welfare_lottery_grant WHERE id = ${grantRow.id}::uuid`;
          const remaining = new Decimal(left?.remaining ?? "0").toFixed(2);
          throw new AppError(ErrorCode.GRANT_EXHAUSTED, `amount: only ${remaining} yuan of grant ${grantRow.code} remain unallocated`, {
            field: "amount",
            remaining,
          });
        }
        return tx.funding.create({
          data: {
            projectId: project.id,
            source: "WELFARE_LOTTERY",
            amount: input.amount,
            receivedOn: input.receivedOn,
            grantId: grantRow.id,
          },
        });
      },
    ));
  }

  /**
   * Voids a funding recorded in error (ADMIN, COORDINATOR of the project's subtree; PARTNER
   * FORBIDDEN): it stays, with who voided it, when and why, and counts in no total from then on.
   * A WELFARE_LOTTERY allocation's amount returns to its grant (`allocated` decreases) in the
   * same transaction. `reason` is 1 to 200 characters (BAD_USER_INPUT); an unknown id is
   * NOT_FOUND; a funding voided already is a CONFLICT, also when two voids race. Inside a closed
   * reporting period (by receivedOn) only ADMIN may void: a correction, noted in the audit log.
   */
  async voidFunding(viewer: Viewer | null, id: string, reason: string): Promise<Funding> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Only coordinators void fundings");
    const why = requireVoidReason(reason);
    const funding = await this.prisma.funding.findUnique({ where: { id: requireId(id, "id") } });
    if (!funding) throw notFound("Funding");
    const { alliancePath } = await this.app.get(ProjectService).requireManageable(viewer, funding.projectId);
    if (funding.voidedAt) throw conflict(`id: this funding was voided already, on ${isoDate(funding.voidedAt)}`, { field: "id" });
    const guard = new ClosedPeriodGuard(this.app, viewer, { id: funding.id, reason: why });
    return guard.around(() =>
      runMutation(this.app, viewer, { operation: "voidFunding", input: guard.audit }, async (tx) => {
        await guard.check(tx, alliancePath, funding.receivedOn, "id");
        const voided = await tx.funding.updateMany({
          where: { id: funding.id, voidedAt: null },
          data: { voidedAt: new Date(), voidedById: viewer?.accountId ?? null, voidReason: why },
        });
        if (voided.count === 0) throw conflict("id: this funding was voided meanwhile", { field: "id" });
        if (funding.grantId) {
          const returned = await tx.$executeRaw`
            UPDATE welfare_lottery_grant SET allocated = allocated - ${funding.amount.toFixed(2)}::numeric
             WHERE id = ${funding.grantId}::uuid AND allocated >= ${funding.amount.toFixed(2)}::numeric`;
          if (returned === 0) throw new Error(`grant ${funding.grantId} has less allocated than funding ${funding.id} took`);
        }
        return tx.funding.findUniqueOrThrow({ where: { id: funding.id } });
      }),
    );
  }

  private async requireNotCancelled(tx: Tx, projectId: string): Promise<void> {
    const current = await tx.serviceProject.findUniqueOrThrow({ where: { id: projectId }, select: { status: true } });
    if (current.status === "CANCELLED") throw conflict("projectId: the project is CANCELLED and takes no more funding", { field: "projectId" });
  }
}
