import DataLoader from "dataloader";
import type { OrganizationKind } from "../../common/enums";
import type { PageArgs } from "../../common/pagination";
import { defineLoader } from "../../context";
import type { Alliance, Organization } from "../../generated/prisma/client";
import { OrganizationService } from "./organization.service";

/** Organizations by id, unscoped: callers reach them through records already in scope. */
export const organizationById = defineLoader(
  (ctx) => new DataLoader<string, Organization | null>((ids) => ctx.app.get(OrganizationService).findByIds(ids)),
);

/** The first `limit` alliances (in the viewer's scope) of each organization. */
export const organizationAlliances = defineLoader(
  (ctx, limit: number) =>
    new DataLoader<string, Alliance[]>((ids) => ctx.app.get(OrganizationService).alliancesOf(ctx.viewer, ids, limit)),
);

/** One page of direct members per alliance id: those the viewer could read with `organization(id)`. */
export const allianceMemberPage = defineLoader(
  (ctx, variant: PageArgs & { kind?: OrganizationKind | null }) =>
    new DataLoader((allianceIds: readonly string[]) =>
      ctx.app.get(OrganizationService).memberPages(ctx.viewer, allianceIds, variant.kind, variant),
    ),
);
