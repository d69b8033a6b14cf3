import { Kind, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";
import type { Scope, Viewer } from "../../auth";
import type { AccessGround } from "../../common/enums";
import { createContext, type App, type Context } from "../../context";
import type { Account, Alliance, Household, HouseholdMember, Organization } from "../../generated/prisma/client";
import type { ServiceRequestEventPayload, StoredEvent } from "../../pubsub";
import { deliveryOf, type PendingDelivery } from "../../pubsub/event-feed";
import { viewKey } from "../../pubsub/view-key";
import { accountById } from "../account";
import { allianceById } from "../alliance";
import { HouseholdService, householdById, householdMembers, householdPiiAccess } from "../household";
import { organizationById } from "../organization";
import { serviceRequestById } from "./service-request.loaders";
import type { ServiceRequest } from "./service-request.types";

/** What a subscription's selection shows of an event's request beyond the request itself. */
export interface EventNeeds {
  alliance: boolean;
  household: boolean;
  /** The household's alliance. */
  householdAlliance: boolean;
  members: boolean;
  /** Names or ID numbers: masked or not by the viewer's ground. */
  pii: boolean;
  claimedBy: boolean;
  raisedByAccount: boolean;
  raisedByOrganization: boolean;
}

/** One subscriber of service-request events, as the preparer of their delivery sees it. */
export interface EventAudience {
  viewer: Viewer;
  scope: Scope;
  /** viewKey(viewer, scope). */
  view: string;
  needs: EventNeeds;
}

/** What was loaded once for one event, for all its subscribers; undefined: not loaded (nobody shows it). */
interface PreparedEvent {
  request: ServiceRequest;
  alliances: Map<string, Alliance | null>;
  household?: Household | null;
  members?: HouseholdMember[];
  organizations: Map<string, Organization | null>;
  account?: Account | null;
  /** The PII ground of each kind of viewer (by view key) that shows the household's names. */
  grounds: Map<string, AccessGround | null>;
}

/** The child selection sets of the fields named `name` in `sets`, through fragments. */
function fieldsNamed(sets: readonly SelectionSetNode[], name: string, fragments: Record<string, FragmentDefinitionNode>): SelectionSetNode[] {
  const found: SelectionSetNode[] = [];
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === name && selection.selectionSet) found.push(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seen);
      } else if (!seen.has(selection.name.value) && fragments[selection.name.value]) {
        seen.add(selection.name.value);
        visit(fragments[selection.name.value].selectionSet, seen);
      }
    }
  };
  for (const set of sets) visit(set, new Set());
  return found;
}

/** True when a field named `name` (a leaf or not) is selected in `sets`. */
function selects(sets: readonly SelectionSetNode[], name: string, fragments: Record<string, FragmentDefinitionNode>): boolean {
  const probe = (set: SelectionSetNode, seen: Set<string>): boolean =>
    set.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return probe(selection.selectionSet, seen);
      const fragment = fragments[selection.name.value];
      if (!fragment || seen.has(selection.name.value)) return false;
      seen.add(selection.name.value);
      return probe(fragment.selectionSet, seen);
    });
  return sets.some((set) => probe(set, new Set()));
}

/** What the subscription field's selection (`info` of serviceRequestEvents) shows of each event's request. */
export function eventNeeds(info: Pick<GraphQLResolveInfo, "fieldNodes" | "fragments">): EventNeeds {
  const { fragments } = info;
  const events = info.fieldNodes.map((node: FieldNode) => node.selectionSet).filter((set): set is SelectionSetNode => !!set);
  const request = fieldsNamed(events, "request", fragments);
  const household = fieldsNamed(request, "household", fragments);
  const members = fieldsNamed(household, "members", fragments);
  const raisedBy = fieldsNamed(request, "raisedBy", fragments);
  return {
    alliance: selects(request, "alliance", fragments),
    household: household.length > 0,
    householdAlliance: selects(household, "alliance", fragments),
    members: members.length > 0,
    pii: selects(household, "headName", fragments) || selects(household, "idNumber", fragments) || selects(members, "name", fragments),
    claimedBy: selects(request, "claimedBy", fragments),
    raisedByAccount: selects(raisedBy, "account", fragments),
    raisedByOrganization: selects(raisedBy, "organization", fragments),
  };
}

/** The values of `keys` by key, through a loader's loadMany; the first error fails it all. */
async function valuesOf<K, V>(keys: Set<K>, load: (keys: K[]) => Promise<(V | Error)[]>): Promise<Map<K, V>> {
  const list = [...keys];
  if (!list.length) return new Map();
  const values = await load(list);
  const failed = values.find((value): value is Error => value instanceof Error);
  if (failed) throw failed;
  return new Map(list.map((key, i) => [key, values[i] as V]));
}

/**
 * Loads, for a batch of service-request events about to be delivered, what their subscribers'
 * selections show, once for all of them: the requests, then their alliances, households (and
 * members), organizations and raising accounts, and the PII ground of each kind of viewer among
 * the subscribers (HouseholdService.piiGrounds): a fixed number of statements per batch, whatever
 * the number of subscribers. Through the same loaders as a request, in a context of no viewer
 * (these loaders are not scoped; scope and masking stay with the field resolvers).
 */
export async function prepareServiceRequestDeliveries(app: App, pending: readonly PendingDelivery[]): Promise<void> {
  const loading = createContext(app, null, "event-delivery");
  const payloads = pending.map(({ event }) => event.payload as ServiceRequestEventPayload);
  const requests = await valuesOf(new Set(payloads.map((p) => p.requestId)), async (ids) => serviceRequestById(loading).loadMany(ids));

  const allianceIds = new Set<string>();
  const householdIds = new Set<string>();
  const memberHouseholdIds = new Set<string>();
  const organizationIds = new Set<string>();
  const accountIds = new Set<string>();
  const viewers = new Map<string, EventAudience>();
  const groundKeys = new Map<string, { audience: EventAudience; householdId: string }>();
  for (const [i, { audiences }] of pending.entries()) {
    const request = requests.get(payloads[i].requestId);
    if (!request) continue;
    for (const audience of audiences as Set<EventAudience>) {
      const { needs } = audience;
      if (needs.alliance) allianceIds.add(request.allianceId);
      if (needs.claimedBy && request.claimedById) organizationIds.add(request.claimedById);
      if (needs.raisedByOrganization && request.raisedByOrganizationId) organizationIds.add(request.raisedByOrganizationId);
      if (needs.raisedByAccount && request.raisedByAccountId) accountIds.add(request.raisedByAccountId);
      if (!request.householdId || !needs.household) continue;
      householdIds.add(request.householdId);
      if (needs.members) memberHouseholdIds.add(request.householdId);
      if (needs.pii) {
        viewers.set(audience.view, audience);
        groundKeys.set(`${audience.view}\n${request.householdId}`, { audience, householdId: request.householdId });
      }
    }
  }

  const pairs = [...groundKeys.values()];
  // Alliances wait for the households only when a selection shows a household's alliance.
  const wantsHouseholdAlliance = pending.some(({ audiences }) => [...(audiences as Set<EventAudience>)].some((a) => a.needs.householdAlliance));
  const requestAlliances = wantsHouseholdAlliance ? Promise.resolve(new Map<string, Alliance | null>()) : valuesOf(allianceIds, async (ids) => allianceById(loading).loadMany(ids));
  const [households, members, organizations, accounts, grounds, firstAlliances] = await Promise.all([
    valuesOf(householdIds, async (ids) => householdById(loading).loadMany(ids)),
    valuesOf(memberHouseholdIds, async (ids) => householdMembers(loading).loadMany(ids)),
    valuesOf(organizationIds, async (ids) => organizationById(loading).loadMany(ids)),
    valuesOf(accountIds, async (ids) => accountById(loading).loadMany(ids)),
    pairs.length
      ? app.get(HouseholdService).piiGrounds(pairs.map(({ audience, householdId }) => ({ viewer: audience.viewer, scope: audience.scope, householdId })))
      : Promise.resolve([]),
    requestAlliances,
  ]);
  let alliances = firstAlliances;
  if (wantsHouseholdAlliance) {
    for (const household of households.values()) if (household) allianceIds.add(household.allianceId);
    alliances = await valuesOf(allianceIds, async (ids) => allianceById(loading).loadMany(ids));
  }

  const groundOf = new Map(pairs.map(({ audience, householdId }, i) => [`${audience.view}\n${householdId}`, grounds[i]]));
  for (const [i, { delivery, audiences }] of pending.entries()) {
    const request = requests.get(payloads[i].requestId);
    if (!request) continue;
    const household = request.householdId ? households.get(request.householdId) : undefined;
    const prepared: PreparedEvent = { request, alliances: new Map(), organizations: new Map(), grounds: new Map() };
    for (const id of [request.allianceId, household?.allianceId]) if (id && alliances.has(id)) prepared.alliances.set(id, alliances.get(id)!);
    for (const id of [request.claimedById, request.raisedByOrganizationId]) {
      if (id && organizations.has(id)) prepared.organizations.set(id, organizations.get(id)!);
    }
    if (request.raisedByAccountId && accounts.has(request.raisedByAccountId)) prepared.account = accounts.get(request.raisedByAccountId)!;
    if (request.householdId && households.has(request.householdId)) prepared.household = household;
    if (request.householdId && members.has(request.householdId)) prepared.members = members.get(request.householdId)!;
    if (request.householdId) {
      for (const audience of audiences as Set<EventAudience>) {
        const ground = groundOf.get(`${audience.view}\n${request.householdId}`);
        if (ground !== undefined) prepared.grounds.set(audience.view, ground);
      }
    }
    delivery.prepared = prepared;
  }
}

/**
 * The request of a live event from what its delivery loaded, with the loaders of `ctx` (one
 * subscriber's, or several alike's) primed with the records and the viewer's PII ground that
 * came with it, so that the fields show them without asking again. Undefined for an event
 * without a prepared delivery (a replayed one): the caller loads it.
 */
export async function preparedRequest(ctx: Context, stored: StoredEvent): Promise<ServiceRequest | undefined> {
  const prepared = deliveryOf(stored)?.prepared as PreparedEvent | undefined;
  if (!prepared) return undefined;
  const { request } = prepared;
  serviceRequestById(ctx).prime(request.id, request);
  for (const [id, alliance] of prepared.alliances) allianceById(ctx).prime(id, alliance);
  for (const [id, organization] of prepared.organizations) organizationById(ctx).prime(id, organization);
  if (request.raisedByAccountId && prepared.account !== undefined) accountById(ctx).prime(request.raisedByAccountId, prepared.account);
  if (request.householdId) {
    if (prepared.household !== undefined) householdById(ctx).prime(request.householdId, prepared.household);
    if (prepared.members !== undefined) householdMembers(ctx).prime(request.householdId, prepared.members);
    if (ctx.viewer && prepared.grounds.size) {
      const ground = prepared.grounds.get(viewKey(ctx.viewer, await ctx.app.deps.scopes.of(ctx.viewer)));
      if (ground !== undefined) householdPiiAccess(ctx).prime(request.householdId, ground);
    }
  }
  return request;
}
