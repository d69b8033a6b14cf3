import { Args, ArgsType, Ctx, Field, FieldResolver, ID, Query, Resolver, Root } from "type-graphql";
import { DateScalar, isoDate } from "../../common/scalars";
import type { Context } from "../../context";
import { Alliance } from "../alliance";
import { allianceStats } from "./stats.loaders";
import { StatsService } from "./stats.service";
import { AllianceStats } from "./stats.types";

@ArgsType()
class PeriodArgs {
  @Field(() => DateScalar, { description: "First day of the period." })
  from: Date;

  @Field(() => DateScalar, { description: "Last day of the period (inclusive); not before `from`." })
  to: Date;
}

@ArgsType()
class StatsArgs extends PeriodArgs {
  @Field(() => ID, { description: "The alliance whose subtree the figures cover." })
  allianceId: string;
}

@Resolver()
export class StatsResolver {
  @Query(() => AllianceStats, {
    description: "Figures for an alliance and everything below it over [from, to]; FORBIDDEN outside your scope.",
  })
  stats(@Args() { allianceId, from, to }: StatsArgs, @Ctx() ctx: Context): Promise<AllianceStats> {
    return ctx.app.get(StatsService).forAlliance(ctx.viewer, allianceId, { from, to });
  }
}

@Resolver(() => Alliance)
export class AllianceStatsResolver {
  @FieldResolver(() => AllianceStats, { description: "Figures for this node and everything below it, over [from, to] inclusive." })
  stats(@Root() alliance: Alliance, @Args() { from, to }: PeriodArgs, @Ctx() ctx: Context): Promise<AllianceStats> {
    return allianceStats(ctx, { from: isoDate(from), to: isoDate(to) }).load(alliance);
  }
}
