import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { LIST_FIRST_DESCRIPTION, listSize } from "../../common/bounded-list";
import { OrganizationKind, ServiceCategory } from "../../common/enums";
import { PageArgsType, pageToConnection, type Connection } from "../../common/pagination";
import type { Context } from "../../context";
import { Alliance } from "../alliance";
import { DateScalar } from "../../common/scalars";
import { CreateOrganizationInput, UpdateOrganizationInput } from "./organization.inputs";
import { allianceMemberPage, organizationAlliances, organizationById } from "./organization.loaders";
import { OrganizationService } from "./organization.service";
import { Organization, OrganizationConnection } from "./organization.types";

@ArgsType()
class OrganizationsArgs extends PageArgsType {
  @Field(() => OrganizationKind, { nullable: true })
  kind?: OrganizationKind | null;

  @Field(() => ID, { nullable: true, description: "Members of this alliance or of any alliance below it." })
  allianceId?: string | null;

  @Field(() => ServiceCategory, { nullable: true, description: "Organizations that offer this category." })
  category?: ServiceCategory | null;
}

@ArgsType()
class MembersArgs extends PageArgsType {
  @Field(() => OrganizationKind, { nullable: true })
  kind?: OrganizationKind | null;
}

@Resolver(() => Organization)
export class OrganizationResolver {
  @Query(() => Organization, { nullable: true, description: "One organization; FORBIDDEN outside your scope." })
  organization(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.get(OrganizationService).findOne(ctx.viewer, id);
  }

  @Query(() => OrganizationConnection, { description: "Organizations you may see, by name." })
  organizations(@Args() { kind, allianceId, category, first, after }: OrganizationsArgs, @Ctx() ctx: Context) {
    return ctx.app.get(OrganizationService).list(ctx.viewer, { kind, allianceId, category }, { first, after });
  }

  @Mutation(() => Organization)
  createOrganization(@Arg("input") input: CreateOrganizationInput, @Ctx() ctx: Context) {
    return ctx.app.get(OrganizationService).create(ctx.viewer, input);
  }

  @Mutation(() => Organization, {
    description:
      "Makes an organization a member of an alliance; joining twice is harmless. A COORDINATOR: only an organization with no membership outside its subtree.",
  })
  joinAlliance(
    @Arg("organizationId", () => ID) organizationId: string,
    @Arg("allianceId", () => ID) allianceId: string,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.get(OrganizationService).join(ctx.viewer, organizationId, allianceId);
  }

  @Mutation(() => Organization, {
    description:
      "Ends an organization's membership of an alliance (ADMIN; a COORDINATOR whose subtree holds the alliance). `on`: its first day outside, default today, not in the future nor before it joined. Its partners stop seeing that subtree (live subscriptions too); its claims there that no other membership covers go back to OPEN, and its care assignments there end the day before `on`.",
  })
  leaveAlliance(
    @Arg("allianceId", () => ID) allianceId: string,
    @Arg("organizationId", () => ID) organizationId: string,
    @Arg("on", () => DateScalar, { nullable: true, description: "The first day it is no longer a member; default today (China time)." }) on: Date | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.get(OrganizationService).leave(ctx.viewer, allianceId, organizationId, on);
  }

  @Mutation(() => Organization, {
    description:
      "Changes an organization's name, credit code, service categories or kind (ADMIN; a COORDINATOR for an organization with no membership outside its subtree; kind by ADMIN only).",
  })
  updateOrganization(@Arg("input") input: UpdateOrganizationInput, @Ctx() ctx: Context) {
    return ctx.app.get(OrganizationService).update(ctx.viewer, input);
  }

  @FieldResolver(() => [Alliance], { description: "The alliances it is a member of (those you may see), by region code, at most `first`." })
  alliances(
    @Root() organization: Organization,
    @Arg("first", () => Int, { nullable: true, description: LIST_FIRST_DESCRIPTION }) first: number | null,
    @Ctx() ctx: Context,
  ) {
    return organizationAlliances(ctx, listSize(first)).load(organization.id);
  }
}

@Resolver(() => Alliance)
export class AllianceMembersResolver {
  @FieldResolver(() => OrganizationConnection, {
    description: "Organizations that are members of this alliance, those you could read with `organization(id)`.",
  })
  async members(@Root() alliance: Alliance, @Args() { first, after, kind }: MembersArgs, @Ctx() ctx: Context): Promise<Connection<Organization>> {
    const page = await allianceMemberPage(ctx, { first, after, kind }).load(alliance.id);
    const nodes = await organizationById(ctx).loadMany(page.ids);
    return pageToConnection(page, nodes.map((n) => (n instanceof Error ? null : n)));
  }
}
