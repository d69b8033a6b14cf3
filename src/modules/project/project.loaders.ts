import DataLoader from "dataloader";
import type { PageArgs } from "../../common/pagination";
import { defineLoader } from "../../context";
import type { ServiceProject } from "../../generated/prisma/client";
import type { ServiceProjectFilter } from "./project.inputs";
import { ProjectService } from "./project.service";

/** Projects by id, unscoped: callers reach them through records already in scope. */
export const projectById = defineLoader(
  (ctx) => new DataLoader<string, ServiceProject | null>((ids) => ctx.app.get(ProjectService).findByIds(ids)),
);

/** The first `limit` partner organization ids of each project. */
export const projectPartnerIds = defineLoader(
  (ctx, limit: number) => new DataLoader<string, string[]>((ids) => ctx.app.get(ProjectService).partnerIdsOf(ids, limit)),
);

/** One page of the projects in each alliance's subtree, for the given page and filter. */
export const allianceProjectPage = defineLoader(
  (ctx, variant: PageArgs & { filter?: ServiceProjectFilter | null }) =>
    new DataLoader((allianceIds: readonly string[]) =>
      ctx.app.get(ProjectService).alliancePages(ctx.viewer, allianceIds, variant.filter, variant),
    ),
);

/** One page of the projects each organization leads or partners in. */
export const organizationProjectPage = defineLoader(
  (ctx, page: PageArgs) =>
    new DataLoader((organizationIds: readonly string[]) =>
      ctx.app.get(ProjectService).organizationPages(ctx.viewer, organizationIds, page),
    ),
);
