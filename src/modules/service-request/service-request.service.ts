import { allianceScopeSql, inScope, type Scope, type Viewer } from "../../auth";
import type { ServiceCategory, ServiceRequestEventKind, Urgency } from "../../common/enums";
import { findByIdsInOrder, isId, requireId } from "../../common/ids";
import { runMutation, type Emit, type Tx } from "../../common/mutation";
import { decodeCursor, lazyCount, memoize, pageSize, toConnection, type Connection, type PageArgs } from "../../common/pagination";
import { containsPersonalNumber, PERSONAL_NUMBER_MESSAGE } from "../../common/validators";
import type { App } from "../../context";
import { badInput, conflict, forbidden, notFound } from "../../errors";
import { Prisma } from "../../generated/prisma/client";
import type { OrganizationMembershipsPayload, PendingEvent, ServiceRequestEventPayload, StoredEvent } from "../../pubsub";
import type { DeliveryPreparer } from "../../pubsub/event-feed";
import { viewKey } from "../../pubsub/view-key";
import { prepareServiceRequestDeliveries, type EventAudience, type EventNeeds } from "./service-request.event-loaders";
import { splitPrefixed } from "../../common/rows";
import type { Alliance, Household } from "../../generated/prisma/client";
import { allianceColumns } from "../alliance";
import { householdColumns } from "../household";
import type { CreateServiceRequestInput, ServiceRequestFilter, ServiceRequestSubscriptionFilter } from "./service-request.inputs";
import type { ServiceRequest } from "./service-request.types";

/** What `createInTransaction` inserts: a need raised by a coordinator or found on a visit. */
export interface NewServiceRequest {
  allianceId: string;
  /** The alliance's path, for the CREATED event's scope filter. */
  alliancePath: string;
  householdId?: string | null;
  visitId?: string | null;
  category: ServiceCategory;
  urgency?: Urgency | null;
  title: string;
  description?: string | null;
  /** The account that raised it: the coordinator, or whoever recorded the visit. */
  raisedByAccountId?: string | null;
  /** The organization whose visit found it; null when a coordinator raised it. */
  raisedByOrganizationId?: string | null;
}

/** The organization kinds suggested for a request (government departments refer cases, they do not claim them). */
export const SUGGESTED_ORGANIZATION_KINDS = [
  "SOCIAL_ORGANIZATION",
  "VOLUNTEER_TEAM",
  "CHARITY",
  "SOCIAL_GROUP",
  "ENTERPRISE",
  "INDUSTRY_ASSOCIATION",
] as const;

export const DEFAULT_SUGGESTIONS = 5;
export const MAX_SUGGESTIONS = 20;

const MAX_REASON_LENGTH = 500;

/** The columns of a ServiceRequest record, from `service_request sr`. */
const COLUMNS = Prisma.sql`sr.id, sr.alliance_id AS "allianceId", sr.household_id AS "householdId", sr.visit_id AS "visitId",
  sr.category, sr.urgency, sr.title, sr.description, sr.status, sr.created_at AS "createdAt",
  sr.claimed_by_id AS "claimedById", sr.claimed_at AS "claimedAt", sr.fulfilled_at AS "fulfilledAt",
  sr.cancelled_at AS "cancelledAt", sr.cancel_reason AS "cancelReason",
  sr.raised_by_account_id AS "raisedByAccountId", sr.raised_by_organization_id AS "raisedByOrganizationId"`;

function serviceRequestEvent(
  kind: ServiceRequestEventKind,
  request: Pick<ServiceRequest, "id" | "allianceId" | "category">,
  alliancePath: string,
): PendingEvent {
  return {
    topic: "SERVICE_REQUEST_EVENTS",
    payload: {
      kind,
      requestId: request.id,
      allianceId: request.allianceId,
      alliancePath,
      category: request.category,
      occurredAt: new Date().toISOString(),
    },
  };
}

/** The statements of one page of a list: rows newest first (size + 1 of them) and the total. */
export interface PageStatements {
  size: number;
  page: Prisma.Sql;
  count: Prisma.Sql;
}

/** Records related to each request that `list` reads in its page's own statement when asked. */
export interface PageRelations {
  alliance?: boolean;
  household?: boolean;
}

/** What `list` read beside a request (see PageRelations). */
export interface RelatedRecords {
  alliance?: Alliance;
  household?: Household | null;
}

const RELATED = Symbol("records read with the request");

/** The records read beside a request of a `list` page, when it was asked for them. */
export function relatedRecords(request: ServiceRequest): RelatedRecords | undefined {
  return (request as ServiceRequest & { [RELATED]?: RelatedRecords })[RELATED];
}

/** WHERE conditions of a list; `alliance` when they refer to `alliance a` (joined on the request's alliance). */
interface Conditions {
  sql: Prisma.Sql[];
  alliance: boolean;
}

/** A request with its alliance's path, which every scope check needs. */
type LocatedRequest = ServiceRequest & { alliance: { path: string } };

/**
 * Service requests (需求): creation, the claim race, release, cancellation, fulfilment by a
 * service record, scoped lists and the live event stream.
 */
export class ServiceRequestService {
  constructor(private readonly app: App) {}

  private readonly prepareDeliveries: DeliveryPreparer = (pending) => prepareServiceRequestDeliveries(this.app, pending);

  private get prisma() {
    return this.app.prisma;
  }

  /**
   * Inserts a request inside the caller's transaction and raises CREATED (published after
   * commit). The caller has checked scope, the alliance and the household.
   */
  async createInTransaction(tx: Tx, emit: Emit, input: NewServiceRequest): Promise<ServiceRequest> {
    const request = await tx.serviceRequest.create({
      data: {
        allianceId: input.allianceId,
        householdId: input.householdId ?? null,
        visitId: input.visitId ?? null,
        category: input.category,
        urgency: input.urgency ?? "NORMAL",
        title: input.title,
        description: input.description ?? null,
        raisedByAccountId: input.raisedByAccountId ?? null,
        raisedByOrganizationId: input.raisedByOrganizationId ?? null,
      },
    });
    emit(serviceRequestEvent("CREATED", request, input.alliancePath));
    return request;
  }

  /**
   * Marks a request FULFILLED inside the caller's transaction (recordService) and raises
   * FULFILLED. The caller's scope must read it (NOT_FOUND / FORBIDDEN first, so nothing about
   * a request it cannot read is told); it must be CLAIMED by `organizationId` (else CONFLICT)
   * and, when it names a household, be for `householdId` (else BAD_USER_INPUT on serviceRequestId).
   */
  async fulfilInTransaction(
    tx: Tx,
    emit: Emit,
    scope: Scope,
    requestId: string,
    organizationId: string,
    householdId: string,
  ): Promise<ServiceRequest> {
    const id = requireId(requestId, "serviceRequestId");
    const request = await tx.serviceRequest.findUnique({ where: { id }, include: { alliance: { select: { path: true } } } });
    if (!request) throw notFound("Service request");
    if (!this.canRead(scope, request, request.alliance.path)) throw forbidden("This service request is outside your scope");
    if (request.householdId && request.householdId !== householdId) {
      throw badInput("serviceRequestId", "this request is for another household");
    }
    if (request.status !== "CLAIMED" || request.claimedById !== organizationId) {
      throw conflict(
        request.status === "CLAIMED"
          ? "serviceRequestId: the request is claimed by another organization"
          : `serviceRequestId: the request is ${request.status}; only a request your organization has claimed can be fulfilled`,
        { field: "serviceRequestId", status: request.status },
      );
    }
    const { count } = await tx.serviceRequest.updateMany({
      where: { id, status: "CLAIMED", claimedById: organizationId },
      data: { status: "FULFILLED", fulfilledAt: new Date() },
    });
    if (count === 0) throw conflict("serviceRequestId: the request changed meanwhile; it is no longer claimed by your organization", { field: "serviceRequestId" });
    const fulfilled = await tx.serviceRequest.findUniqueOrThrow({ where: { id } });
    emit(serviceRequestEvent("FULFILLED", fulfilled, request.alliance.path));
    return fulfilled;
  }

  /**
   * Inside the transaction of an organization leaving the alliance at `leftPath`: its CLAIMED
   * requests in that subtree that no membership left (`remainingPaths`) lets it see go back to
   * OPEN (claimer cleared), each with a RELEASED event; returns their ids.
   */
  async releaseClaimsOnLeaving(tx: Tx, emit: Emit, organizationId: string, leftPath: string, remainingPaths: readonly string[]): Promise<string[]> {
    const stillSeen = remainingPaths.length
      ? Prisma.sql`AND NOT (${Prisma.join(remainingPaths.map((root) => Prisma.sql`a.path LIKE ${`${root}%`}`), " OR ")})`
      : Prisma.empty;
    const released = await tx.$queryRaw<{ id: string; allianceId: string; category: ServiceCategory; path: string }[]>`
      UPDATE service_request sr SET status = 'OPEN', claimed_by_id = NULL, claimed_at = NULL
        FROM alliance a
       WHERE a.id = sr.alliance_id AND sr.claimed_by_id = ${organizationId}::uuid AND sr.status = 'CLAIMED'
         AND a.path LIKE ${`${leftPath}%`} ${stillSeen}
      RETURNING sr.id::text AS id, sr.alliance_id::text AS "allianceId", sr.category::text AS category, a.path`;
    for (const request of released) emit(serviceRequestEvent("RELEASED", request, request.path));
    return released.map((request) => request.id);
  }

  /** Requests by id, in key order, null for misses; no scope check (callers reach them through records in scope). */
  async findByIds(ids: readonly string[]): Promise<(ServiceRequest | null)[]> {
    return findByIdsInOrder(this.prisma.serviceRequest, ids);
  }

  /** True when the scope may read the request: its alliance lies in scope, or the scope's organization claimed it. */
  canRead(scope: Scope, request: Pick<ServiceRequest, "claimedById">, alliancePath: string): boolean {
    return inScope(scope, alliancePath) || (!scope.all && !!scope.organizationId && request.claimedById === scope.organizationId);
  }

  /** One request: null when there is none, FORBIDDEN when the viewer may not read it. */
  async findOne(viewer: Viewer | null, id: string): Promise<ServiceRequest | null> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (!isId(id)) return null;
    const request = await this.locate(id);
    if (!request) return null;
    if (!this.canRead(scope, request, request.alliance.path)) throw forbidden("This service request is outside your scope");
    return strip(request);
  }

  /**
   * Requests the viewer may read, newest first (created_at desc, id desc), with the filter's
   * conditions in SQL: keyset pages on the (created_at, id) index, whatever the table's size.
   */
  async list(
    viewer: Viewer | null,
    filter: ServiceRequestFilter | null | undefined,
    page: PageArgs,
    relations: PageRelations = {},
  ): Promise<Connection<ServiceRequest>> {
    const statements = await this.listStatements(viewer, filter, page, relations);
    return this.runPage(statements, relations);
  }

  /**
   * The two statements of `list` (the page, newest first, and the total) with the viewer's
   * scope and the filter in their WHERE clause; the benchmark EXPLAINs them.
   */
  async listStatements(
    viewer: Viewer | null,
    filter: ServiceRequestFilter | null | undefined,
    page: PageArgs,
    relations: PageRelations = {},
  ): Promise<PageStatements> {
    const scope = await this.app.deps.scopes.of(viewer);
    return this.pageStatements(await this.conditions(viewer, scope, filter), page, relations);
  }

  /**
   * The `Alliance.serviceRequests` pages of many alliances (by path): the requests in each
   * alliance's subtree that the viewer may read. One alliance is one keyset query on the
   * index; several are one statement partitioned by alliance.
   */
  async subtreeConnections(
    viewer: Viewer | null,
    paths: readonly string[],
    filter: ServiceRequestFilter | null | undefined,
    page: PageArgs,
  ): Promise<Connection<ServiceRequest>[]> {
    const scope = await this.app.deps.scopes.of(viewer);
    const conditions = await this.conditions(viewer, scope, filter);
    if (paths.length === 1) {
      const within = { sql: [...conditions.sql, Prisma.sql`a.path LIKE ${`${paths[0]}%`}`], alliance: true };
      return [await this.runPage(this.pageStatements(within, page))];
    }
    const size = pageSize(page.first);
    const roots = Prisma.sql`unnest(${[...paths]}::text[]) AS root(path)`;
    const where = Prisma.join([...conditions.sql, Prisma.sql`a.path LIKE root.path || '%'`], " AND ");
    const rows = await this.app.deps.db.rows<ServiceRequest & { root: string }>(Prisma.sql`
        SELECT root.path AS root, page.*
          FROM ${roots}
          CROSS JOIN LATERAL (
            SELECT ${COLUMNS} FROM service_request sr JOIN alliance a ON a.id = sr.alliance_id
             WHERE ${where} ${this.afterSql(page)}
             ORDER BY sr.created_at DESC, sr.id DESC
             LIMIT ${size + 1}
          ) page`);
    // Every alliance's total in one statement, run when the first totalCount is asked for.
    const totals = memoize(async () => {
      const counts = await this.prisma.$queryRaw<{ root: string; count: number }[]>`
        SELECT root.path AS root,
               (SELECT count(*)::int FROM service_request sr JOIN alliance a ON a.id = sr.alliance_id WHERE ${where}) AS count
          FROM ${roots}`;
      return new Map(counts.map((row) => [row.root, row.count]));
    });
    return paths.map((path) => {
      const own = rows.filter((row) => row.root === path).map(({ root: _root, ...request }) => request);
      return toConnection(own, size, async () => (await totals()).get(path) ?? 0, (row) => [row.createdAt, row.id]);
    });
  }

  /**
   * For each request id, up to `first` ids of partner organizations best placed to take it:
   * members of the request's alliance or of an ancestor that offer its category, nearest
   * alliance first, then fewest requests currently CLAIMED, then by name. One SQL statement.
   */
  async suggestedOrganizationIds(requestIds: readonly string[], first: number | null | undefined): Promise<string[][]> {
    const size = first ?? DEFAULT_SUGGESTIONS;
    if (!Number.isInteger(size) || size < 1 || size > MAX_SUGGESTIONS) {
      throw badInput("first", `must be between 1 and ${MAX_SUGGESTIONS}, got ${size}`);
    }
    const ids = requestIds.filter(isId);
    if (!ids.length) return requestIds.map(() => []);
    const rows = await this.prisma.$queryRaw<{ request_id: string; organization_id: string }[]>`
      WITH candidate AS (
        SELECT r.id AS request_id, o.id AS organization_id, o.name,
               max(length(ma.path) - length(replace(ma.path, '/', ''))) AS depth
          FROM service_request r
          JOIN alliance ra ON ra.id = r.alliance_id
          JOIN alliance ma ON ma.id = ANY(string_to_array(trim(BOTH '/' FROM ra.path), '/')::uuid[])
          JOIN alliance_membership m ON m.alliance_id = ma.id
          JOIN organization o ON o.id = m.organization_id
         WHERE r.id = ANY(${ids}::uuid[])
           AND r.category = ANY(o.service_categories)
           AND o.kind::text = ANY(${[...SUGGESTED_ORGANIZATION_KINDS]}::text[])
         GROUP BY r.id, o.id, o.name
      ), ranked AS (
        SELECT c.request_id, c.organization_id,
               row_number() OVER (PARTITION BY c.request_id
                                  ORDER BY c.depth DESC, load.claimed ASC, c.name ASC, c.organization_id ASC) AS rn
          FROM candidate c
          CROSS JOIN LATERAL (
            SELECT count(*) AS claimed FROM service_request x
             WHERE x.claimed_by_id = c.organization_id AND x.status = 'CLAIMED'
          ) load
      )
      SELECT request_id::text AS request_id, organization_id::text AS organization_id
        FROM ranked WHERE rn <= ${size} ORDER BY request_id, rn`;
    const byRequest = new Map<string, string[]>();
    for (const row of rows) {
      const list = byRequest.get(row.request_id) ?? [];
      list.push(row.organization_id);
      byRequest.set(row.request_id, list);
    }
    return requestIds.map((id) => byRequest.get(id) ?? []);
  }

  /**
   * Creates a request (ADMIN, or a COORDINATOR within its subtree); the household, when
   * given, must be registered in the alliance's subtree. Raises CREATED after commit.
   */
  async create(viewer: Viewer | null, input: CreateServiceRequestInput): Promise<ServiceRequest> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot create service requests");
    const title = input.title.trim();
    if (!title) throw badInput("title", "must not be blank");
    const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(input.allianceId, "allianceId"));
    let householdId: string | null = null;
    if (input.householdId) {
      householdId = requireId(input.householdId, "householdId");
      const household = await this.prisma.household.findUnique({
        where: { id: householdId },
        select: { alliance: { select: { path: true } } },
      });
      if (!household) throw badInput("householdId", "no household has this id");
      if (!household.alliance.path.startsWith(alliance.path)) {
        throw badInput("householdId", "the household is not registered in this alliance or below it");
      }
    }
    return runMutation(
      this.app,
      viewer,
      {
        operation: "createServiceRequest",
        input,
        idempotencyKey: input.idempotencyKey,
        findExisting: (tx, id) => tx.serviceRequest.findUnique({ where: { id } }),
      },
      (tx, emit) =>
        this.createInTransaction(tx, emit, {
          allianceId: alliance.id,
          alliancePath: alliance.path,
          householdId,
          category: input.category,
          urgency: input.urgency,
          title,
          description: input.description?.trim() || null,
          raisedByAccountId: viewer?.accountId ?? null,
        }),
    );
  }

  /**
   * Claims an OPEN request for the viewer's organization: a PARTNER whose organization is a
   * member of the request's alliance or an ancestor and offers its category (else FORBIDDEN).
   * The first claim wins; any later one fails with CONFLICT and writes nothing.
   */
  async claim(viewer: Viewer | null, id: string): Promise<ServiceRequest> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role !== "PARTNER" || !viewer.organizationId) throw forbidden("Only a partner organization's account claims requests");
    const organizationId = viewer.organizationId;
    const request = await this.require(id);
    if (!inScope(scope, request.alliance.path)) {
      throw forbidden("Your organization is not a member of this request's alliance or of an alliance above it");
    }
    const organization = await this.prisma.organization.findUnique({
      where: { id: organizationId },
      select: { serviceCategories: true },
    });
    if (!organization?.serviceCategories.includes(request.category)) {
      throw forbidden(`Your organization does not offer ${request.category}`);
    }
    return runMutation(this.app, viewer, { operation: "claimServiceRequest", input: { id } }, async (tx, emit) => {
      const { count } = await tx.serviceRequest.updateMany({
        where: { id: request.id, status: "OPEN" },
        data: { status: "CLAIMED", claimedById: organizationId, claimedAt: new Date() },
      });
      if (count === 0) {
        const current = await tx.serviceRequest.findUniqueOrThrow({ where: { id: request.id }, select: { status: true } });
        throw conflict(`This request was claimed or closed already (it is ${current.status}); only an OPEN request can be claimed`, {
          status: current.status,
        });
      }
      const claimed = await tx.serviceRequest.findUniqueOrThrow({ where: { id: request.id } });
      emit(serviceRequestEvent("CLAIMED", claimed, request.alliance.path));
      return claimed;
    });
  }

  /**
   * Gives a CLAIMED request back (CLAIMED → OPEN, claimer cleared): the claiming organization's
   * PARTNER, or an ADMIN / COORDINATOR whose scope holds it. CONFLICT when it is not CLAIMED.
   */
  async release(viewer: Viewer | null, id: string): Promise<ServiceRequest> {
    const scope = await this.app.deps.scopes.of(viewer);
    const request = await this.require(id);
    if (!this.canRead(scope, request, request.alliance.path)) throw forbidden("This service request is outside your scope");
    if (request.status !== "CLAIMED") {
      throw conflict(`Only a CLAIMED request can be released; this one is ${request.status}`, { status: request.status });
    }
    if (viewer?.role === "PARTNER" && request.claimedById !== viewer.organizationId) {
      throw forbidden("Only the organization that claimed this request (or a coordinator) may release it");
    }
    return runMutation(this.app, viewer, { operation: "releaseServiceRequest", input: { id } }, async (tx, emit) => {
      const { count } = await tx.serviceRequest.updateMany({
        where: { id: request.id, status: "CLAIMED", claimedById: request.claimedById },
        data: { status: "OPEN", claimedById: null, claimedAt: null },
      });
      if (count === 0) throw conflict("This request changed meanwhile; it is no longer claimed as it was");
      const released = await tx.serviceRequest.findUniqueOrThrow({ where: { id: request.id } });
      emit(serviceRequestEvent("RELEASED", released, request.alliance.path));
      return released;
    });
  }

  /**
   * Cancels an OPEN or CLAIMED request with a reason of 1 to 500 characters (ADMIN, or a
   * COORDINATOR whose subtree holds it). CONFLICT when it is FULFILLED or CANCELLED already.
   */
  async cancel(viewer: Viewer | null, id: string, reason: string): Promise<ServiceRequest> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Only a coordinator cancels a service request");
    const why = reason.trim();
    if (!why || why.length > MAX_REASON_LENGTH) throw badInput("reason", `must be 1 to ${MAX_REASON_LENGTH} characters`);
    if (containsPersonalNumber(why)) throw badInput("reason", PERSONAL_NUMBER_MESSAGE);
    const request = await this.require(id);
    if (!inScope(scope, request.alliance.path)) throw forbidden("This service request is outside your scope");
    if (request.status !== "OPEN" && request.status !== "CLAIMED") {
      throw conflict(`Only an OPEN or CLAIMED request can be cancelled; this one is ${request.status}`, { status: request.status });
    }
    return runMutation(this.app, viewer, { operation: "cancelServiceRequest", input: { id, reason: why } }, async (tx, emit) => {
      const { count } = await tx.serviceRequest.updateMany({
        where: { id: request.id, status: { in: ["OPEN", "CLAIMED"] } },
        data: { status: "CANCELLED", cancelledAt: new Date(), cancelReason: why },
      });
      if (count === 0) throw conflict("This request was fulfilled or cancelled meanwhile");
      const cancelled = await tx.serviceRequest.findUniqueOrThrow({ where: { id: request.id } });
      emit(serviceRequestEvent("CANCELLED", cancelled, request.alliance.path));
      return cancelled;
    });
  }

  /**
   * The event stream of one subscriber: events of requests it may read (by the alliance path
   * carried in the event), narrowed by the filter. With `after` (the id of the last event the
   * client saw) it first replays the stored events after it, then goes on live. An
   * `allianceId` outside the viewer's scope fails the subscription with FORBIDDEN, and an
   * `after` older than the kept events with BAD_USER_INPUT, before anything is delivered.
   * `needs` (what the subscription's selection shows) lets live events' records be loaded once
   * for all subscribers (see service-request.event-loaders.ts). A PARTNER's scope follows its
   * organization's memberships while subscribed: once it leaves an alliance (an
   * ORGANIZATION_MEMBERSHIPS event, in log order with the rest), events of that subtree stop.
   */
  async events(
    viewer: Viewer | null,
    filter: ServiceRequestSubscriptionFilter | null | undefined,
    after?: string | null,
    needs?: EventNeeds,
  ): Promise<AsyncIterable<StoredEvent<"SERVICE_REQUEST_EVENTS">>> {
    let scope = await this.app.deps.scopes.of(viewer);
    const root = filter?.allianceId
      ? (await this.app.deps.scopes.requireAlliance(viewer, requireId(filter.allianceId, "filter.allianceId"))).path
      : null;
    const categories = filter?.category?.length ? new Set<string>(filter.category) : null;
    const kinds = filter?.kinds?.length ? new Set<string>(filter.kinds) : null;
    if (after !== undefined && after !== null && !/^\d{1,18}$/.test(after)) {
      throw badInput("after", "must be the id of an event you received");
    }
    const ownOrganization = viewer?.role === "PARTNER" ? (viewer.organizationId?.toLowerCase() ?? null) : null;
    let audience: EventAudience | undefined;
    const accepts = (stored: StoredEvent): boolean => {
      if (stored.topic === "ORGANIZATION_MEMBERSHIPS") {
        const change = stored.payload as OrganizationMembershipsPayload;
        if (viewer && ownOrganization && change.organizationId.toLowerCase() === ownOrganization) {
          scope = this.app.deps.scopes.replacePartnerPaths(viewer, change.paths);
          if (audience) {
            audience.scope = scope;
            audience.view = viewKey(viewer, scope);
          }
        }
        return false;
      }
      if (stored.topic !== "SERVICE_REQUEST_EVENTS") return false;
      const event = stored.payload as ServiceRequestEventPayload;
      return (
        inScope(scope, event.alliancePath) &&
        (!root || event.alliancePath.startsWith(root)) &&
        (!categories || categories.has(event.category)) &&
        (!kinds || kinds.has(event.kind))
      );
    };
    const { feed } = this.app.deps.pubsub;
    feed.prepareWith("SERVICE_REQUEST_EVENTS", this.prepareDeliveries);
    audience = viewer && needs ? { viewer, scope, view: viewKey(viewer, scope), needs } : undefined;
    const stream = await feed.subscribe({ after: after ? BigInt(after) : undefined, accepts, audience });
    return stream as AsyncIterableIterator<StoredEvent<"SERVICE_REQUEST_EVENTS">>;
  }

  private async locate(id: string): Promise<LocatedRequest | null> {
    return this.prisma.serviceRequest.findUnique({ where: { id }, include: { alliance: { select: { path: true } } } });
  }

  private async require(id: string): Promise<LocatedRequest> {
    const request = await this.locate(requireId(id, "id"));
    if (!request) throw notFound("ServiceRequest");
    return request;
  }

  /** SQL conditions on `service_request sr` (and `alliance a` when `alliance` is set): the viewer's scope and the filter. */
  private async conditions(viewer: Viewer | null, scope: Scope, filter: ServiceRequestFilter | null | undefined): Promise<Conditions> {
    const sql: Prisma.Sql[] = [];
    let alliance = false;
    if (!scope.all && scope.organizationId) {
      // The alliances are picked once (a hashed subplan), not matched per request row.
      sql.push(Prisma.sql`(sr.alliance_id IN (SELECT scoped.id FROM alliance scoped WHERE ${allianceScopeSql(scope, "scoped.path")})
        OR sr.claimed_by_id = ${scope.organizationId}::uuid)`);
    } else if (!scope.all) {
      sql.push(allianceScopeSql(scope, "a.path"));
      alliance = true;
    }
    if (filter?.status?.length) sql.push(oneOf("sr.status", "RequestStatus", filter.status));
    if (filter?.category?.length) sql.push(oneOf("sr.category", "ServiceCategory", filter.category));
    if (filter?.urgency?.length) sql.push(oneOf("sr.urgency", "Urgency", filter.urgency));
    if (filter?.claimedByOrganizationId) {
      sql.push(Prisma.sql`sr.claimed_by_id = ${requireId(filter.claimedByOrganizationId, "filter.claimedByOrganizationId")}::uuid`);
    }
    if (filter?.createdFrom && filter.createdTo && filter.createdFrom > filter.createdTo) {
      throw badInput("filter.createdTo", "must not be before createdFrom");
    }
    if (filter?.createdFrom) sql.push(Prisma.sql`sr.created_at >= ${filter.createdFrom}::timestamptz`);
    if (filter?.createdTo) sql.push(Prisma.sql`sr.created_at <= ${filter.createdTo}::timestamptz`);
    if (filter?.allianceId) {
      const root = await this.app.deps.scopes.requireAlliance(viewer, requireId(filter.allianceId, "filter.allianceId"));
      sql.push(Prisma.sql`a.path LIKE ${`${root.path}%`}`);
      alliance = true;
    }
    return { sql, alliance };
  }

  private afterSql(page: PageArgs): Prisma.Sql {
    if (!page.after) return Prisma.empty;
    const [createdAt, id] = decodeCursor(page.after, 2);
    if (!(createdAt instanceof Date) || typeof id !== "string" || !isId(id)) throw badInput("after", "is not a cursor from this list");
    return Prisma.sql`AND (sr.created_at, sr.id) < (${createdAt}::timestamptz, ${id}::uuid)`;
  }

  /**
   * The page (newest first, one row more than asked) and count statements for some conditions;
   * the page's rows carry the related records asked for, joined once the page is cut.
   */
  private pageStatements(conditions: Conditions, page: PageArgs, relations: PageRelations = {}): PageStatements {
    const size = pageSize(page.first);
    const from = conditions.alliance
      ? Prisma.sql`service_request sr JOIN alliance a ON a.id = sr.alliance_id`
      : Prisma.sql`service_request sr`;
    const where = conditions.sql.length ? Prisma.join(conditions.sql, " AND ") : Prisma.sql`TRUE`;
    let rows = Prisma.sql`
        SELECT ${COLUMNS}
          FROM ${from}
         WHERE ${where} ${this.afterSql(page)}
         ORDER BY sr.created_at DESC, sr.id DESC
         LIMIT ${size + 1}`;
    if (relations.alliance || relations.household) {
      rows = Prisma.sql`
        SELECT p.*${relations.alliance ? Prisma.sql`, ${allianceColumns("ra", "alliance.")}` : Prisma.empty}${
          relations.household ? Prisma.sql`, ${householdColumns("rh", "household.")}` : Prisma.empty
        }
          FROM (${rows}) p
          ${relations.alliance ? Prisma.sql`JOIN alliance ra ON ra.id = p."allianceId"` : Prisma.empty}
          ${relations.household ? Prisma.sql`LEFT JOIN household rh ON rh.id = p."householdId"` : Prisma.empty}
         ORDER BY p."createdAt" DESC, p.id DESC`;
    }
    return { size, page: rows, count: Prisma.sql`SELECT count(*)::int AS count FROM ${from} WHERE ${where}` };
  }

  private async runPage(statements: PageStatements, relations: PageRelations = {}): Promise<Connection<ServiceRequest>> {
    let rows = await this.app.deps.db.rows<ServiceRequest>(statements.page);
    if (relations.alliance || relations.household) {
      rows = rows.map((row) => {
        const { own, related } = splitPrefixed<ServiceRequest>(row as unknown as Record<string, unknown>, ["alliance.", "household."]);
        const records: RelatedRecords = {};
        if (relations.alliance) records.alliance = (related.get("alliance.") ?? undefined) as Alliance | undefined;
        if (relations.household) records.household = related.get("household.") as Household | null;
        Object.defineProperty(own, RELATED, { value: records });
        return own;
      });
    }
    const totalCount = lazyCount(async () => (await this.app.deps.db.rows<{ count: number }>(statements.count))[0]?.count ?? 0);
    return toConnection(rows, statements.size, totalCount, (row) => [row.createdAt, row.id]);
  }
}

/** `column IN ($1::"Type", …)`: one typed parameter per value, so the planner sees constants it can estimate and index. */
function oneOf(column: string, enumType: string, values: readonly string[]): Prisma.Sql {
  const type = Prisma.raw(`"${enumType}"`);
  return Prisma.sql`${Prisma.raw(column)} IN (${Prisma.join([...new Set(values)].map((value) => Prisma.sql`${value}::${type}`))})`;
}

function strip(request: LocatedRequest): ServiceRequest {
  const { alliance: _alliance, ...record } = request;
  return record;
}
