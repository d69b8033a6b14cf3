import { randomUUID } from "node:crypto";
import { allianceScopeSql, allianceScopeWhere, inScope, type Scope, type Viewer } from "../../auth";
import type { AllianceLevel, OperatingStatus } from "../../common/enums";
import { isId, requireId, selectByIdsInOrder } from "../../common/ids";
import { runMutation, type Tx } from "../../common/mutation";
import { paginate, partitionedPages, type Connection, type PageArgs, type PartitionPage } from "../../common/pagination";
import { REGION_CODE_LENGTH } from "../../common/validators";
import type { App } from "../../context";
import { badInput, conflict, forbidden, notFound } from "../../errors";
import { Prisma, type Alliance } from "../../generated/prisma/client";
import type { CreateAllianceInput } from "./alliance.inputs";

const PARENT_LEVEL: Record<AllianceLevel, AllianceLevel | null> = {
  CITY: null,
  COUNTY: "CITY",
  TOWNSHIP: "COUNTY",
  VILLAGE: "TOWNSHIP",
};

/**
 * The columns of an Alliance record from `alias`, named as Prisma names its fields, each name
 * after `prefix` (a record read beside another one in the same row, see `prefixed`).
 */
export function allianceColumns(alias = "a", prefix = ""): Prisma.Sql {
  const [a, p] = [alias, prefix];
  return Prisma.raw(`${a}.id::text AS "${p}id", ${a}.name AS "${p}name", ${a}.level::text AS "${p}level",
    ${a}.region_code AS "${p}regionCode", ${a}.operating_status::text AS "${p}operatingStatus",
    ${a}.parent_id::text AS "${p}parentId", ${a}.path AS "${p}path", ${a}.created_at AS "${p}createdAt"`);
}

/** The columns of an Alliance record, from `alliance a`, named as Prisma names them. */
export const ALLIANCE_COLUMNS = allianceColumns();

const byRegionCode = { fields: ["regionCode", "id"] as ("regionCode" | "id")[], direction: "asc" as const };

export interface AllianceListFilter {
  level?: AllianceLevel | null;
  parentId?: string | null;
}

/** The alliance tree: reads within the viewer's scope, creation under the tree's rules. */
export class AllianceService {
  constructor(private readonly app: App) {}

  private get prisma() {
    return this.app.prisma;
  }

  /** The viewer's scope (cached per viewer). */
  scope(viewer: Viewer | null): Promise<Scope> {
    return this.app.deps.scopes.of(viewer);
  }

  /** Alliances by id, in key order, null for misses; no scope check (callers filter). */
  async findByIds(ids: readonly string[]): Promise<(Alliance | null)[]> {
    return selectByIdsInOrder(this.app.deps.db, (valid) => Prisma.sql`SELECT ${ALLIANCE_COLUMNS} FROM alliance a WHERE a.id = ANY(${valid}::uuid[])`, ids);
  }

  /** One alliance: null when there is none, FORBIDDEN when it lies outside the viewer's scope. */
  async findOne(viewer: Viewer | null, id: string): Promise<Alliance | null> {
    const scope = await this.scope(viewer);
    if (!isId(id)) return null;
    const alliance = await this.prisma.alliance.findUnique({ where: { id } });
    if (!alliance) return null;
    if (!inScope(scope, alliance.path)) throw forbidden("This alliance is outside your scope");
    return alliance;
  }

  /** The top nodes the viewer may see: the CITY for ADMIN, the roots of its scope otherwise. */
  async roots(viewer: Viewer | null): Promise<Alliance[]> {
    const scope = await this.scope(viewer);
    if (scope.all) {
      return this.prisma.alliance.findMany({ where: { parentId: null }, orderBy: { regionCode: "asc" } });
    }
    const tops = scope.paths.filter((path) => !scope.paths.some((other) => other !== path && path.startsWith(other)));
    return this.prisma.alliance.findMany({ where: { path: { in: tops } }, orderBy: { regionCode: "asc" } });
  }

  /** Alliances in scope, by region code, optionally of one level or under one parent. */
  async list(viewer: Viewer | null, filter: AllianceListFilter, page: PageArgs): Promise<Connection<Alliance>> {
    const scope = await this.scope(viewer);
    const where: Prisma.AllianceWhereInput = { AND: [allianceScopeWhere(scope)] };
    if (filter.level) where.level = filter.level;
    if (filter.parentId) where.parentId = requireId(filter.parentId, "parentId");
    return paginate(this.prisma.alliance, where as Record<string, unknown>, byRegionCode, page);
  }

  /** Pages of children, records included, for many parents in one statement, kept within the viewer's scope. */
  async childPages(viewer: Viewer | null, parentIds: readonly string[], page: PageArgs): Promise<PartitionPage<Alliance>[]> {
    const scope = await this.scope(viewer);
    return partitionedPages<Alliance>(this.app.deps.db, parentIds, {
      columns: ALLIANCE_COLUMNS,
      from: Prisma.sql`FROM alliance a WHERE a.parent_id = ANY(${[...parentIds]}::uuid[]) AND ${allianceScopeSql(scope, "a.path")}`,
      partitionBy: "a.parent_id",
      keys: [
        { sql: "a.region_code", type: "text" },
        { sql: "a.id", type: "uuid" },
      ],
      direction: "asc",
      args: page,
    });
  }

  /** The ids on an alliance's path from the root, the alliance itself excluded. */
  ancestorIds(alliance: Pick<Alliance, "path" | "id">): string[] {
    return alliance.path.split("/").filter((id) => id && id !== alliance.id);
  }

  /**
   * Creates an alliance exactly one level below its parent, with a region code of the level's
   * length under the parent's code. ADMIN anywhere; a COORDINATOR only below its own alliance.
   */
  async create(viewer: Viewer | null, input: CreateAllianceInput): Promise<Alliance> {
    const scope = await this.scope(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot create alliances");
    const parentLevel = PARENT_LEVEL[input.level];
    const expectedLength = REGION_CODE_LENGTH[input.level];
    if (input.regionCode.length !== expectedLength) {
      throw badInput("regionCode", `a ${input.level} needs a ${expectedLength}-digit code, got ${input.regionCode.length} digits`);
    }
    let parent: Alliance | null = null;
    if (parentLevel === null) {
      if (input.parentId) throw badInput("parentId", "a CITY has no parent");
      if (!scope.all) throw forbidden("Only ADMIN creates a CITY alliance");
    } else {
      if (!input.parentId) throw badInput("parentId", `a ${input.level} needs a ${parentLevel} parent`);
      parent = await this.prisma.alliance.findUnique({ where: { id: requireId(input.parentId, "parentId") } });
      if (!parent) throw badInput("parentId", "no alliance has this id");
      if (!inScope(scope, parent.path)) throw forbidden("The parent alliance is outside your scope");
      if (parent.level !== parentLevel) {
        throw badInput("parentId", `a ${input.level} must be directly under a ${parentLevel}, not a ${parent.level}`);
      }
      const prefix = input.level === "COUNTY" ? parent.regionCode.slice(0, 4) : parent.regionCode;
      if (!input.regionCode.startsWith(prefix) || input.regionCode === parent.regionCode) {
        throw badInput("regionCode", `must start with ${prefix}, the parent's code${input.level === "COUNTY" ? " prefix" : ""}`);
      }
    }
    const spec = {
      operation: "createAlliance",
      input,
      idempotencyKey: input.idempotencyKey,
      findExisting: (tx: Tx, id: string) => tx.alliance.findUnique({ where: { id } }),
    };
    return runMutation(this.app, viewer, spec, async (tx) => {
      if (await tx.alliance.findUnique({ where: { regionCode: input.regionCode }, select: { id: true } })) {
        throw conflict(`regionCode: ${input.regionCode} belongs to another alliance already`, { field: "regionCode" });
      }
      const id = randomUUID();
      return tx.alliance.create({
        data: {
          id,
          name: input.name,
          level: input.level,
          regionCode: input.regionCode,
          operatingStatus: input.operatingStatus ?? "STANDARD",
          parentId: parent?.id ?? null,
          path: `${parent?.path ?? "/"}${id}/`,
        },
      });
    });
  }

  /**
   * Sets an alliance's 规范运行 status: ADMIN any; a COORDINATOR only alliances strictly below its
   * own (a coordinator does not rate its own alliance), FORBIDDEN otherwise, nothing written.
   */
  async setOperatingStatus(viewer: Viewer | null, id: string, status: OperatingStatus): Promise<Alliance> {
    const scope = await this.scope(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot change an alliance's status");
    const alliance = await this.findOne(viewer, id);
    if (!alliance) throw notFound("Alliance");
    if (!scope.all && scope.paths.includes(alliance.path)) {
      throw forbidden("A coordinator cannot set the status of its own alliance, only of the alliances below it");
    }
    return runMutation(this.app, viewer, { operation: "setOperatingStatus", input: { allianceId: id, status } }, (tx) =>
      tx.alliance.update({ where: { id: alliance.id }, data: { operatingStatus: status } }),
    );
  }
}
