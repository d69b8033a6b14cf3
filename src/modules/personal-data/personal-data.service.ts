import type { Viewer } from "../../auth";
import { isId, requireId } from "../../common/ids";
import { decodeCursor, pageSize, toConnection, type Connection, type PageArgs, lazyCount } from "../../common/pagination";
import type { App } from "../../context";
import { badInput, forbidden } from "../../errors";
import { Prisma } from "../../generated/prisma/client";
import type { PersonalDataAccess } from "./personal-data.types";

export interface PersonalDataAccessFilter {
  householdId?: string | null;
  accountId?: string | null;
  /** Rows whose reads reach this instant or later. */
  from?: Date | null;
  /** Rows whose reads began at this instant or earlier. */
  to?: Date | null;
}

/** The access record of unmasked personal-data reads, as ADMIN reads it. */
export class PersonalDataService {
  constructor(private readonly app: App) {}

  /**
   * Rows of the access record, newest last read first (ADMIN only; FORBIDDEN for others),
   * narrowed by household, account and a span of time the reads overlap.
   */
  async list(viewer: Viewer | null, filter: PersonalDataAccessFilter, page: PageArgs): Promise<Connection<PersonalDataAccess>> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role !== "ADMIN") throw forbidden("Only ADMIN reads the personal-data access record");
    const size = pageSize(page.first);
    const where: Prisma.Sql[] = [];
    if (filter.householdId) where.push(Prisma.sql`p.household_id = ${requireId(filter.householdId, "householdId")}::uuid`);
    if (filter.accountId) where.push(Prisma.sql`p.account_id = ${requireId(filter.accountId, "accountId")}::uuid`);
    if (filter.from && filter.to && filter.from > filter.to) throw badInput("to", "must not be before from");
    if (filter.from) where.push(Prisma.sql`p.last_at >= ${filter.from}::timestamptz`);
    if (filter.to) where.push(Prisma.sql`p.first_at <= ${filter.to}::timestamptz`);
    let after = Prisma.empty;
    if (page.after) {
      const [lastAt, accountId, householdId, day] = decodeCursor(page.after, 4);
      if (!(lastAt instanceof Date) || !isId(String(accountId)) || !isId(String(householdId)) || !(day instanceof Date)) {
        throw badInput("after", "is not a cursor from this list");
      }
      after = Prisma.sql`AND (p.last_at, p.account_id, p.household_id, p.day)
        < (${lastAt}::timestamptz, ${String(accountId)}::uuid, ${String(householdId)}::uuid, ${day}::date)`;
    }
    const condition = where.length ? Prisma.join(where, " AND ") : Prisma.sql`TRUE`;
    const rows = await this.app.prisma.$queryRaw<PersonalDataAccess[]>`
      SELECT p.account_id::text AS "accountId", p.household_id::text AS "householdId", p.day, p.ground::text AS ground,
             p.first_at AS "firstAt", p.last_at AS "lastAt", p.count
        FROM personal_data_access p
       WHERE ${condition} ${after}
       ORDER BY p.last_at DESC, p.account_id DESC, p.household_id DESC, p.day DESC
       LIMIT ${size + 1}`;
    const totalCount = lazyCount(async () => Number((await this.app.prisma.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM personal_data_access p WHERE ${condition}`)[0]?.count ?? 0));
    const records = rows.map((row) => ({ ...row, count: Number(row.count) }));
    return toConnection(records, size, totalCount, (row) => [row.lastAt, row.accountId, row.householdId, row.day]);
  }
}
