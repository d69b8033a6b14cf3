import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";
import type { ClassType } from "type-graphql";
import { ArgsType, Field, Int, ObjectType } from "type-graphql";
import { badInput } from "../errors";
import { Prisma } from "../generated/prisma/client";
import { isId } from "./ids";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `first` and `after` as a connection field takes them. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** `first` and `after` arguments of connection fields; extend it for more arguments. */
@ArgsType()
export class PageArgsType implements PageArgs {
  @Field(() => Int, { nullable: true, description: "Page size, 1 to 100 (default 20)." })
  first?: number | null;

  @Field(() => String, { nullable: true, description: "The endCursor of the previous page." })
  after?: string | null;
}

@ObjectType({ description: "Where a page stands in its list." })
export class PageInfo {
  @Field({ description: "True when more items follow this page." })
  hasNextPage: boolean;

  @Field(() => String, { nullable: true, description: "Pass as `after` to get the next page." })
  endCursor: string | null;
}

/**
 * A list's total: a number, or a function that counts it when `totalCount` is selected
 * (GraphQL's default resolver calls it), so a page never pays for a `count(*)` nobody asked for.
 */
export type TotalCount = number | (() => Promise<number>);

/** What every connection resolver returns; edges are derived from nodes. */
export interface Connection<T> {
  nodes: T[];
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  totalCount: TotalCount;
}

/** `work` run at most once, on the first call; later calls share its promise. */
export function memoize<T>(work: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= work());
}

/** A count run at most once, when `totalCount` is first selected. */
export const lazyCount: (count: () => Promise<number>) => () => Promise<number> = memoize;

/** The XConnection and XEdge object types of the contract for node type `node`. */
export function ConnectionType<T extends object>(node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field({ description: "Opaque position of this node, for `after`." })
    cursor: string;

    @Field(() => node)
    node: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} items.` })
  class ConnectionClass implements Connection<T> {
    @Field(() => [Edge])
    edges: Edge[];

    @Field(() => [node])
    nodes: T[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    // simple: GraphQL's default resolver, which calls a lazy count (see TotalCount).
    @Field(() => Int, { simple: true, description: "Items in the whole list, not only this page." })
    totalCount: TotalCount;
  }
  return ConnectionClass;
}

/** The page size asked for, checked against 1..100 (default 20). */
export function pageSize(first: number | null | undefined, field = "first"): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(field, `must be between 1 and ${MAX_PAGE_SIZE}, got ${first}`);
  }
  return first;
}

type CursorValue = string | number | Date;

/** Cursors are base64url JSON of the sort key values; dates travel as {d: iso}. */
export function encodeCursor(values: CursorValue[]): string {
  const json = values.map((v) => (v instanceof Date ? { d: v.toISOString() } : v));
  return Buffer.from(JSON.stringify(json)).toString("base64url");
}

export function decodeCursor(cursor: string, arity: number, field = "after"): CursorValue[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(values) && values.length === arity) {
      return values.map((v) => {
        if (v && typeof v === "object" && typeof (v as { d?: unknown }).d === "string") {
          const date = new Date((v as { d: string }).d);
          if (Number.isNaN(date.getTime())) throw new Error("bad date");
          return date;
        }
        if (typeof v === "string" || typeof v === "number") return v;
        throw new Error("bad value");
      });
    }
  } catch {
    // fall through to the error below
  }
  throw badInput(field, "is not a cursor from this list");
}

/** Builds a connection from up to size+1 rows fetched in order (the extra row means more follow). */
export function toConnection<T>(
  rows: T[],
  size: number,
  totalCount: TotalCount,
  cursorOf: (row: T) => CursorValue[],
): Connection<T> {
  const nodes = rows.slice(0, size);
  const last = nodes.at(-1);
  let edges: { cursor: string; node: T }[] | undefined;
  return {
    nodes,
    // Cursors are encoded only when edges are selected.
    get edges() {
      return (edges ??= nodes.map((node) => ({ cursor: encodeCursor(cursorOf(node)), node })));
    },
    totalCount,
    pageInfo: { hasNextPage: rows.length > size, endCursor: last === undefined ? null : encodeCursor(cursorOf(last)) },
  };
}

/** Sort keys of a list: model fields, all in one direction, the last one the (UUID) id. */
export interface KeysetOrder<Row> {
  fields: (keyof Row & string)[];
  direction: "asc" | "desc";
}

/** Prisma `where` for the rows after the cursor in keyset order. */
export function keysetWhere<Row>(order: KeysetOrder<Row>, values: CursorValue[]): Record<string, unknown> {
  const op = order.direction === "asc" ? "gt" : "lt";
  return {
    OR: order.fields.map((field, i) => {
      const clause: Record<string, unknown> = {};
      order.fields.slice(0, i).forEach((earlier, j) => {
        clause[earlier] = values[j];
      });
      clause[field] = { [op]: values[i] };
      return clause;
    }),
  };
}

/** The two methods of a Prisma model delegate that a page needs. */
export interface PrismaDelegate<Row> {
  // Prisma's own argument types differ per model; the page builds valid ones for any.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  findMany(args: any): Promise<Row[]>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  count(args: any): Promise<number>;
}

/**
 * One page of a Prisma model, in keyset order: one SQL statement however deep the page, and a
 * second for totalCount when it is selected. `where` must already hold the caller's scope.
 */
export async function paginate<Row extends Record<string, unknown>>(
  delegate: PrismaDelegate<Row>,
  where: Record<string, unknown>,
  order: KeysetOrder<Row>,
  args: PageArgs,
): Promise<Connection<Row>> {
  const size = pageSize(args.first);
  let after: Record<string, unknown> | undefined;
  if (args.after) {
    const values = decodeCursor(args.after, order.fields.length);
    if (!isId(values.at(-1) as string)) throw badInput("after", "is not a cursor from this list");
    after = keysetWhere(order, values);
  }
  const cursorOf = (row: Row) => order.fields.map((f) => row[f] as CursorValue);
  const rows = await delegate
      .findMany({
        where: after ? { AND: [where, after] } : where,
        orderBy: order.fields.map((f) => ({ [f]: order.direction })),
        take: size + 1,
      })
      .catch((error: unknown) => {
        // A forged cursor whose values have the wrong types for the sort keys.
        if (after && error instanceof Prisma.PrismaClientValidationError) throw badInput("after", "is not a cursor from this list");
        throw error;
      });
  return toConnection(rows, size, lazyCount(() => delegate.count({ where })), cursorOf);
}

/** A sort key of a nested list, as a SQL expression over the list's FROM clause. */
export interface SqlSortKey {
  sql: string;
  /** numeric: a decimal (money), carried in cursors as its text. */
  type: "uuid" | "text" | "int" | "numeric" | "date" | "timestamptz";
}

export interface PartitionedPageQuery {
  /** `FROM … WHERE …` selecting the rows of every parent in the batch (scope included). */
  from: Prisma.Sql;
  /** The parent column, e.g. `a.parent_id`. */
  partitionBy: string;
  /** Sort keys, the last one unique within a parent (the id). */
  keys: SqlSortKey[];
  direction: "asc" | "desc";
  args: PageArgs;
  /**
   * The whole record of each row (aliased to the model's field names), when the caller wants
   * the nodes from this statement rather than from a second one by id.
   */
  columns?: Prisma.Sql;
}

/** The ids of one parent's page, with their cursors and the parent's total. */
export interface PartitionPage<Row = Record<string, unknown>> {
  ids: string[];
  /** The cursor of the i-th row, encoded on demand. */
  cursorAt(index: number): string;
  /** The records on the page, in order, when the query asked for `columns`. */
  rows?: Row[];
  hasNextPage: boolean;
  totalCount: number;
}

/**
 * Pages of a nested list for many parents at once: one SQL statement whatever the number of
 * parents (a window function numbers each parent's rows). Missing parents get empty pages.
 */
export async function partitionedPages<Row = Record<string, unknown>>(
  db: { rows<T>(query: Prisma.Sql): Promise<T[]> },
  parentIds: readonly string[],
  query: PartitionedPageQuery,
): Promise<PartitionPage<Row>[]> {
  const size = pageSize(query.args.first);
  const keyColumns = query.keys.map((key, i) => `${key.sql} AS k${i}`).join(", ");
  const order = query.keys.map((_, i) => `k${i} ${query.direction}`).join(", ");
  // Rows before the cursor are not on the page, but one of them still carries the parent's total.
  let onPage = Prisma.sql`TRUE`;
  if (query.args.after) {
    const values = decodeCursor(query.args.after, query.keys.length);
    if (!values.every((value, i) => fitsSortKey(value, query.keys[i].type))) {
      throw badInput("after", "is not a cursor from this list");
    }
    const params = values.map((value, i) => Prisma.sql`${value}::${Prisma.raw(query.keys[i].type)}`);
    const columns = query.keys.map((_, i) => `k${i}`).join(", ");
    onPage = Prisma.sql`COALESCE((${Prisma.raw(columns)}) ${Prisma.raw(query.direction === "asc" ? ">" : "<")} (${Prisma.join(params)}), FALSE)`;
  }
  const rows = await db.rows<Record<string, unknown>>(Prisma.sql`
    SELECT * FROM (
      SELECT base.*, ${onPage} AS on_page,
             (row_number() OVER (PARTITION BY part, ${onPage} ORDER BY ${Prisma.raw(order)}))::int AS rn
      FROM (
        SELECT ${Prisma.raw(query.partitionBy)}::text AS part, ${Prisma.raw(keyColumns)},
               count(*) OVER (PARTITION BY ${Prisma.raw(query.partitionBy)})::int AS total${query.columns ? Prisma.sql`, ${query.columns}` : Prisma.empty}
        ${query.from}
      ) base
    ) ranked
    WHERE (on_page AND rn <= ${size + 1}) OR (NOT on_page AND rn = 1)
    ORDER BY part, rn`);
  const totals = new Map<string, number>();
  const byParent = new Map<string, Record<string, unknown>[]>();
  for (const row of rows) {
    const part = row.part as string;
    totals.set(part, Number(row.total));
    if (!row.on_page) continue;
    const list = byParent.get(part) ?? [];
    list.push(row);
    byParent.set(part, list);
  }
  const idKey = `k${query.keys.length - 1}`;
  const own = query.columns && rows.length ? recordKeys(rows[0]) : [];
  return parentIds.map((parentId) => {
    const list = byParent.get(parentId) ?? [];
    const page = list.slice(0, size);
    return {
      ids: page.map((row) => String(row[idKey])),
      ...(query.columns ? { rows: page.map((row) => record<Row>(row, own)) } : {}),
      cursorAt: (index: number) => encodeCursor(query.keys.map((key, i) => normalize(page[index][`k${i}`], key.type))),
      hasNextPage: list.length > size,
      totalCount: totals.get(parentId) ?? 0,
    };
  });
}

export interface KeysetPageQuery {
  /** The record's columns, aliased to the model's field names. */
  columns: Prisma.Sql;
  /** `FROM …` with its joins. */
  from: Prisma.Sql;
  /** The WHERE condition, scope included. */
  where: Prisma.Sql;
  /** Sort keys, the last one unique (the id); each key's value is also the row field `field`. */
  keys: (SqlSortKey & { field: string })[];
  direction: "asc" | "desc";
  args: PageArgs;
}

/**
 * One page of a hand-written list in keyset order: one statement through `db.rows`, and a
 * second for totalCount only when it is selected.
 */
export async function keysetPage<Row extends Record<string, unknown>>(
  db: { rows<T>(query: Prisma.Sql): Promise<T[]> },
  query: KeysetPageQuery,
): Promise<Connection<Row>> {
  const size = pageSize(query.args.first);
  let after = Prisma.empty;
  if (query.args.after) {
    const values = decodeCursor(query.args.after, query.keys.length);
    if (!values.every((value, i) => fitsSortKey(value, query.keys[i].type))) throw badInput("after", "is not a cursor from this list");
    const params = values.map((value, i) => Prisma.sql`${value}::${Prisma.raw(query.keys[i].type)}`);
    const columns = query.keys.map((key) => key.sql).join(", ");
    after = Prisma.sql`AND (${Prisma.raw(columns)}) ${Prisma.raw(query.direction === "asc" ? ">" : "<")} (${Prisma.join(params)})`;
  }
  const order = query.keys.map((key) => `${key.sql} ${query.direction}`).join(", ");
  const rows = await db.rows<Row>(Prisma.sql`
    SELECT ${query.columns} ${query.from}
     WHERE ${query.where} ${after}
     ORDER BY ${Prisma.raw(order)}
     LIMIT ${size + 1}`);
  const totalCount = lazyCount(async () => Number((await db.rows<{ count: number }>(Prisma.sql`SELECT count(*)::int AS count ${query.from} WHERE ${query.where}`))[0]?.count ?? 0));
  return toConnection(rows, size, totalCount, (row) => query.keys.map((key) => row[key.field] as CursorValue));
}

/** The bookkeeping columns of a `partitionedPages` row, which are not the record's. */
const BOOKKEEPING = new Set(["part", "total", "on_page", "rn"]);

/** The record's own column names in a `partitionedPages` row: all but part, total, on_page, rn, k0…. */
function recordKeys(row: Record<string, unknown>): string[] {
  return Object.keys(row).filter((key) => !BOOKKEEPING.has(key) && !/^k\d+$/.test(key));
}

/** A row of `partitionedPages` reduced to the record's own columns (`recordKeys` of the statement). */
function record<Row>(row: Record<string, unknown>, keys: readonly string[]): Row {
  const fields: Record<string, unknown> = {};
  for (const key of keys) fields[key] = row[key];
  return fields as Row;
}

/** True when a decoded cursor value can stand for a sort key of this SQL type. */
function fitsSortKey(value: CursorValue, type: SqlSortKey["type"]): boolean {
  switch (type) {
    case "uuid":
      return isId(value as string);
    case "int":
      return Number.isInteger(value);
    case "numeric":
      return typeof value === "string" && /^-?\d{1,20}(\.\d{1,10})?$/.test(value);
    case "date":
    case "timestamptz":
      return value instanceof Date;
    default:
      return typeof value === "string";
  }
}

function normalize(value: unknown, type: SqlSortKey["type"]): CursorValue {
  if (value instanceof Date) return value;
  if (typeof value === "bigint") return Number(value);
  if (type === "int") return Number(value);
  return String(value);
}

/** A connection from a partition page and the nodes loaded for its ids (in the same order). */
export function pageToConnection<T>(page: PartitionPage<unknown>, nodes: (T | null | undefined)[]): Connection<T> {
  const present: number[] = [];
  nodes.forEach((node, i) => {
    if (node) present.push(i);
  });
  const last = present.at(-1);
  let edges: { cursor: string; node: T }[] | undefined;
  return {
    nodes: present.map((i) => nodes[i] as T),
    // Cursors are encoded only when edges are selected.
    get edges() {
      return (edges ??= present.map((i) => ({ cursor: page.cursorAt(i), node: nodes[i] as T })));
    },
    totalCount: page.totalCount,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: last === undefined ? null : page.cursorAt(last) },
  };
}

/**
 * The names of the fields a connection field's query selects on its nodes (under `nodes` or
 * `edges { node }`), through fragments; directives are not evaluated (a field under a false
 * `@include` still counts), so callers may read more than needed, never less.
 */
export function nodeFieldsSelected(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const visit = (selectionSet: SelectionSetNode | undefined, path: readonly string[]) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (path.length === 0) names.add(name);
        else if (name === path[0]) visit(selection.selectionSet, path.slice(1));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, path);
      } else {
        visit(info.fragments[selection.name.value]?.selectionSet, path);
      }
    }
  };
  for (const node of info.fieldNodes) {
    visit(node.selectionSet, ["nodes"]);
    visit(node.selectionSet, ["edges", "node"]);
  }
  return names;
}
