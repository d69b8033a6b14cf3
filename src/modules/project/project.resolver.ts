import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { LIST_FIRST_DESCRIPTION, listSize } from "../../common/bounded-list";
import { ProjectStatus } from "../../common/enums";
import { PageArgsType, pageToConnection, type Connection } from "../../common/pagination";
import type { Context } from "../../context";
import type { ServiceProject as ServiceProjectRecord } from "../../generated/prisma/client";
import { Alliance, allianceById } from "../alliance";
import { Organization, organizationById } from "../organization";
import { CreateServiceProjectInput, ProjectOrder, ServiceProjectFilter, UpdateServiceProjectInput } from "./project.inputs";
import { allianceProjectPage, organizationProjectPage, projectById, projectPartnerIds } from "./project.loaders";
import { ProjectService } from "./project.service";
import { ServiceProject, ServiceProjectConnection } from "./project.types";

@ArgsType()
class ProjectsArgs extends PageArgsType {
  @Field(() => ID, { nullable: true, description: "Projects of this alliance or of any alliance below it." })
  allianceId?: string | null;

  @Field(() => ServiceProjectFilter, { nullable: true })
  filter?: ServiceProjectFilter | null;

  @Field(() => ProjectOrder, { nullable: true, description: "The order (default START_DATE_DESC). A cursor is good only for the order it came from." })
  orderBy?: ProjectOrder | null;
}

@ArgsType()
class AllianceProjectsArgs extends PageArgsType {
  @Field(() => ServiceProjectFilter, { nullable: true })
  filter?: ServiceProjectFilter | null;
}

function present<T>(values: (T | null | Error)[]): T[] {
  return values.filter((value): value is T => value !== null && !(value instanceof Error));
}

@Resolver(() => ServiceProject)
export class ServiceProjectResolver {
  @Query(() => ServiceProject, { nullable: true, description: "One project; FORBIDDEN when you may not read it." })
  project(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.get(ProjectService).findOne(ctx.viewer, id);
  }

  @Query(() => ServiceProjectConnection, {
    description:
      "Projects you may read, newest start first: ADMIN all, COORDINATOR its subtree, PARTNER those its organization leads or partners in.",
  })
  projects(@Args() { allianceId, filter, first, after, orderBy }: ProjectsArgs, @Ctx() ctx: Context) {
    return ctx.app.get(ProjectService).list(ctx.viewer, allianceId, filter, { first, after }, orderBy ?? undefined);
  }

  @Mutation(() => ServiceProject, { description: "Creates a PLANNED project (ADMIN, COORDINATOR of the alliance's subtree)." })
  createServiceProject(@Arg("input") input: CreateServiceProjectInput, @Ctx() ctx: Context) {
    return ctx.app.get(ProjectService).create(ctx.viewer, input);
  }

  @Mutation(() => ServiceProject, {
    description:
      "Changes a project's name, dates, budget or partners (ADMIN, COORDINATOR of its subtree). The budget cannot go below what is funded already; changing the days of a project inside a closed reporting period, or the partners of a project started on or before the closed date, is a CONFLICT except for ADMIN.",
  })
  updateServiceProject(@Arg("input") input: UpdateServiceProjectInput, @Ctx() ctx: Context) {
    return ctx.app.get(ProjectService).update(ctx.viewer, input);
  }

  @Mutation(() => ServiceProject, {
    description: "PLANNED → ACTIVE → COMPLETED, or PLANNED/ACTIVE → CANCELLED; any other change fails with CONFLICT.",
  })
  setProjectStatus(
    @Arg("projectId", () => ID) projectId: string,
    @Arg("status", () => ProjectStatus) status: ProjectStatus,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.get(ProjectService).setStatus(ctx.viewer, projectId, status);
  }

  @FieldResolver(() => Alliance, { description: "The alliance that runs the project." })
  alliance(@Root() project: ServiceProject, @Ctx() ctx: Context) {
    return allianceById(ctx).load(project.allianceId);
  }

  @FieldResolver(() => Organization, { description: "The organization that leads the project." })
  leadOrganization(@Root() project: ServiceProject, @Ctx() ctx: Context) {
    return organizationById(ctx).load(project.leadOrganizationId);
  }

  @FieldResolver(() => [Organization], { description: "The partner organizations (the lead not included), at most `first`." })
  async partners(
    @Root() project: ServiceProject,
    @Arg("first", () => Int, { nullable: true, description: LIST_FIRST_DESCRIPTION }) first: number | null,
    @Ctx() ctx: Context,
  ) {
    const ids = await projectPartnerIds(ctx, listSize(first)).load(project.id);
    return present(await organizationById(ctx).loadMany(ids));
  }
}

@Resolver(() => Alliance)
export class AllianceProjectsResolver {
  @FieldResolver(() => ServiceProjectConnection, {
    description: "Projects of this alliance and of every alliance below it (those you may read), newest start first.",
  })
  async projects(
    @Root() alliance: Alliance,
    @Args() { first, after, filter }: AllianceProjectsArgs,
    @Ctx() ctx: Context,
  ): Promise<Connection<ServiceProjectRecord>> {
    const page = await allianceProjectPage(ctx, { first, after, filter }).load(alliance.id);
    const nodes = await projectById(ctx).loadMany(page.ids);
    return pageToConnection(page, nodes.map((n) => (n instanceof Error ? null : n)));
  }
}

@Resolver(() => Organization)
export class OrganizationProjectsResolver {
  @FieldResolver(() => ServiceProjectConnection, {
    description: "Projects the organization leads or partners in (those you may read), newest start first.",
  })
  async projects(
    @Root() organization: Organization,
    @Args() { first, after }: PageArgsType,
    @Ctx() ctx: Context,
  ): Promise<Connection<ServiceProjectRecord>> {
    const page = await organizationProjectPage(ctx, { first, after }).load(organization.id);
    const nodes = await projectById(ctx).loadMany(page.ids);
    return pageToConnection(page, nodes.map((n) => (n instanceof Error ? null : n)));
  }
}
