import DataLoader from "dataloader";
import type { PageArgs } from "../../common/pagination";
import { defineLoader, type Context } from "../../context";
import type { ServiceRequestFilter } from "./service-request.inputs";
import { ServiceRequestService } from "./service-request.service";
import type { ServiceRequest } from "./service-request.types";

/** Service requests by id, unscoped: callers reach them through records already in scope. */
export const serviceRequestById = defineLoader(
  (ctx: Context) => new DataLoader<string, ServiceRequest | null>((ids) => ctx.app.get(ServiceRequestService).findByIds(ids)),
);

/** One `Alliance.serviceRequests` page per alliance path (the alliance's subtree), for the given arguments. */
export const allianceServiceRequestPage = defineLoader(
  (ctx: Context, variant: PageArgs & { filter?: ServiceRequestFilter | null }) =>
    new DataLoader((paths: readonly string[]) =>
      ctx.app.get(ServiceRequestService).subtreeConnections(ctx.viewer, paths, variant.filter, variant),
    ),
);

/** Ids of the suggested organizations per request id, for one `first`. */
export const suggestedOrganizationIds = defineLoader(
  (ctx: Context, first: number | null | undefined) =>
    new DataLoader((requestIds: readonly string[]) =>
      ctx.app.get(ServiceRequestService).suggestedOrganizationIds(requestIds, first),
    ),
);
