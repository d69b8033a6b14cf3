import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { inScope } from "../../auth";
import { AllianceLevel, OperatingStatus } from "../../common/enums";
import { PageArgsType, pageToConnection, type Connection } from "../../common/pagination";
import type { Context } from "../../context";
import type { Alliance as AllianceRecord } from "../../generated/prisma/client";
import { CreateAllianceInput } from "./alliance.inputs";
import { allianceById, allianceChildPage } from "./alliance.loaders";
import { AllianceService } from "./alliance.service";
import { Alliance, AllianceConnection } from "./alliance.types";

@ArgsType()
class AlliancesArgs extends PageArgsType {
  @Field(() => AllianceLevel, { nullable: true })
  level?: AllianceLevel | null;

  @Field(() => ID, { nullable: true })
  parentId?: string | null;
}

@Resolver(() => Alliance)
export class AllianceResolver {
  @Query(() => Alliance, { nullable: true, description: "One alliance; FORBIDDEN outside your scope." })
  alliance(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.get(AllianceService).findOne(ctx.viewer, id);
  }

  @Query(() => [Alliance], { description: "The CITY node (or the top nodes the caller may see)." })
  allianceRoots(@Ctx() ctx: Context) {
    return ctx.app.get(AllianceService).roots(ctx.viewer);
  }

  @Query(() => AllianceConnection, { description: "Alliances you may see, by region code." })
  alliances(@Args() { level, parentId, first, after }: AlliancesArgs, @Ctx() ctx: Context) {
    return ctx.app.get(AllianceService).list(ctx.viewer, { level, parentId }, { first, after });
  }

  @Mutation(() => Alliance, { description: "Adds a node exactly one level below its parent." })
  createAlliance(@Arg("input") input: CreateAllianceInput, @Ctx() ctx: Context) {
    return ctx.app.get(AllianceService).create(ctx.viewer, input);
  }

  @Mutation(() => Alliance, {
    description: "Sets an alliance's 规范运行 status: ADMIN any; a COORDINATOR only the alliances below its own.",
  })
  setOperatingStatus(
    @Arg("allianceId", () => ID) allianceId: string,
    @Arg("status", () => OperatingStatus) status: OperatingStatus,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.get(AllianceService).setOperatingStatus(ctx.viewer, allianceId, status);
  }

  @FieldResolver(() => Alliance, { nullable: true, description: "The parent node, when you may see it." })
  async parent(@Root() alliance: Alliance, @Ctx() ctx: Context): Promise<AllianceRecord | null> {
    if (!alliance.parentId) return null;
    const [parent, scope] = await Promise.all([
      allianceById(ctx).load(alliance.parentId),
      ctx.app.get(AllianceService).scope(ctx.viewer),
    ]);
    return parent && inScope(scope, parent.path) ? parent : null;
  }

  @FieldResolver(() => [Alliance], { description: "Root first, this node excluded (only those you may see)." })
  async ancestors(@Root() alliance: Alliance, @Ctx() ctx: Context): Promise<AllianceRecord[]> {
    const service = ctx.app.get(AllianceService);
    const [ancestors, scope] = await Promise.all([
      allianceById(ctx).loadMany(service.ancestorIds(alliance)),
      service.scope(ctx.viewer),
    ]);
    return ancestors.filter((a): a is AllianceRecord => !!a && !(a instanceof Error) && inScope(scope, a.path));
  }

  @FieldResolver(() => AllianceConnection, { description: "The nodes directly below this one." })
  async children(@Root() alliance: Alliance, @Args() { first, after }: PageArgsType, @Ctx() ctx: Context): Promise<Connection<AllianceRecord>> {
    const page = await allianceChildPage(ctx, { first, after }).load(alliance.id);
    return pageToConnection(page, page.rows ?? []);
  }
}
