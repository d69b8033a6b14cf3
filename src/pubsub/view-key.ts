import type { Scope, Viewer } from "../auth";

/**
 * What decides what a viewer may see of anything: its role, alliance, organization and scope (a
 * subscriber's scope is fixed when it subscribes). Two subscribers with the same key are shown
 * the same data, masked alike, by every resolver; only the access record tells them apart, by
 * account.
 */
export function viewKey(viewer: Viewer, scope: Scope): string {
  const reach = scope.all ? "*" : `${scope.organizationId ?? ""}:${[...scope.paths].sort().join(",")}`;
  return `${viewer.role}|${viewer.allianceId ?? ""}|${viewer.organizationId ?? ""}|${reach}`;
}
