import { isId } from "../common/ids";
import { forbidden, notFound, unauthenticated } from "../errors";
import { Prisma } from "../generated/prisma/client";
import type { Viewer } from "./viewer";

/**
 * The alliances a viewer may touch: everything (ADMIN), or the subtrees under some alliance
 * paths (a COORDINATOR's alliance; the alliances a PARTNER's organization belongs to).
 */
export type Scope =
  | { readonly all: true }
  | { readonly all: false; readonly paths: readonly string[]; readonly organizationId: string | null };

const everything: Scope = Object.freeze({ all: true });

/** True when the alliance at `path` lies in the scope. */
export function inScope(scope: Scope, path: string): boolean {
  return scope.all || scope.paths.some((root) => path.startsWith(root));
}

/** A Prisma `where` on Alliance that keeps only alliances in scope. */
export function allianceScopeWhere(scope: Scope): Prisma.AllianceWhereInput {
  if (scope.all) return {};
  if (scope.paths.length === 0) return { id: { in: [] } };
  return { OR: scope.paths.map((root) => ({ path: { startsWith: root } })) };
}

/** A SQL condition on an alliance path column (e.g. `a.path`) that keeps only alliances in scope. */
export function allianceScopeSql(scope: Scope, pathColumn: string): Prisma.Sql {
  if (scope.all) return Prisma.sql`TRUE`;
  if (scope.paths.length === 0) return Prisma.sql`FALSE`;
  return Prisma.join(
    scope.paths.map((root) => Prisma.sql`${Prisma.raw(pathColumn)} LIKE ${`${root}%`}`),
    " OR ",
    "(",
    ")",
  );
}

/** The subtree roots of a scope that lie under `path` (or the node itself when a root covers it). */
export function scopeRootsWithin(scope: Scope, path: string): string[] {
  if (scope.all || scope.paths.some((root) => path.startsWith(root))) return [path];
  return scope.paths.filter((root) => root.startsWith(path));
}

const cache = new WeakMap<Viewer, Promise<Scope>>();

/** Works out viewers' scopes, once per viewer (a viewer lives for one request or operation). */
export class ScopeResolver {
  constructor(private readonly db: { rows<T>(query: Prisma.Sql): Promise<T[]> }) {}

  /** The viewer's scope; fails with UNAUTHENTICATED when there is no viewer. */
  of(viewer: Viewer | null): Promise<Scope> {
    if (!viewer) throw unauthenticated();
    let scope = cache.get(viewer);
    if (!scope) {
      scope = this.load(viewer);
      cache.set(viewer, scope);
    }
    return scope;
  }

  /**
   * A live subscriber's partner scope after its organization joined or left an alliance
   * (`paths`: every alliance it is a member of now): what `of(viewer)` answers from then on.
   */
  replacePartnerPaths(viewer: Viewer, paths: readonly string[]): Scope {
    const scope: Scope = Object.freeze({ all: false, paths: [...paths], organizationId: viewer.organizationId });
    cache.set(viewer, Promise.resolve(scope));
    return scope;
  }

  private async load(viewer: Viewer): Promise<Scope> {
    if (viewer.role === "ADMIN") return everything;
    if (viewer.role === "COORDINATOR") {
      const alliances = viewer.allianceId
        ? await this.db.rows<{ path: string }>(Prisma.sql`SELECT path FROM alliance WHERE id = ${viewer.allianceId}::uuid`)
        : [];
      return Object.freeze({ all: false, paths: alliances.map((a) => a.path), organizationId: null });
    }
    const memberships = viewer.organizationId
      ? await this.db.rows<{ path: string }>(Prisma.sql`
          SELECT a.path FROM alliance_membership m JOIN alliance a ON a.id = m.alliance_id
           WHERE m.organization_id = ${viewer.organizationId}::uuid`)
      : [];
    return Object.freeze({
      all: false,
      paths: memberships.map((m) => m.path),
      organizationId: viewer.organizationId,
    });
  }

  /**
   * The alliance with `id` when the viewer may touch it: NOT_FOUND when there is none,
   * FORBIDDEN when it lies outside the viewer's scope.
   */
  async requireAlliance(viewer: Viewer | null, id: string): Promise<{ id: string; path: string; level: string }> {
    const scope = await this.of(viewer);
    if (!isId(id)) throw notFound("Alliance");
    const [alliance] = await this.db.rows<{ id: string; path: string; level: string }>(
      Prisma.sql`SELECT id::text AS id, path, level::text AS level FROM alliance WHERE id = ${id}::uuid`,
    );
    if (!alliance) throw notFound("Alliance");
    if (!inScope(scope, alliance.path)) throw forbidden("This alliance is outside your scope");
    return alliance;
  }
}
