import {
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type GraphQLResolveInfo,
  type SelectionNode,
  type SelectionSetNode,
} from "graphql";
import { Args, ArgsType, Ctx, Field, FieldResolver, ID, Info, Query, Resolver, Root } from "type-graphql";
import { DateScalar, isoDate } from "../../common/scalars";
import type { Context } from "../../context";
import { Alliance } from "../alliance";
import { allianceStats } from "./stats.loaders";
import { MONTHLY_FIELDS, StatsService, type MonthlyField } from "./stats.service";
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

/** Whether `@skip` / `@include` leave a selection in, with the operation's variables. */
function included(selection: SelectionNode, variables: Record<string, unknown>): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, selection, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.if !== false;
}

/** The monthly fields (MONTHLY_FIELDS) a `stats` field selects, in that order: through fragments, honouring `@skip` and `@include`. */
function monthlyFieldsSelected(info: GraphQLResolveInfo): MonthlyField[] {
  const names = new Set<string>();
  const spread = new Set<string>();
  const visit = (selectionSet: SelectionSetNode | undefined) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (!included(selection, info.variableValues)) continue;
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (!spread.has(selection.name.value)) {
        spread.add(selection.name.value);
        visit(info.fragments[selection.name.value]?.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet);
  return MONTHLY_FIELDS.filter((field) => names.has(field));
}

@Resolver()
export class StatsResolver {
  @Query(() => AllianceStats, {
    description: "Figures for an alliance and everything below it over [from, to]; FORBIDDEN outside your scope.",
  })
  stats(@Args() { allianceId, from, to }: StatsArgs, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<AllianceStats> {
    return ctx.app.get(StatsService).forAlliance(ctx.viewer, allianceId, { from, to }, monthlyFieldsSelected(info));
  }
}

@Resolver(() => Alliance)
export class AllianceStatsResolver {
  @FieldResolver(() => AllianceStats, { description: "Figures for this node and everything below it, over [from, to] inclusive." })
  stats(@Root() alliance: Alliance, @Args() { from, to }: PeriodArgs, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<AllianceStats> {
    return allianceStats(ctx, { from: isoDate(from), to: isoDate(to), monthlyFields: monthlyFieldsSelected(info) }).load(alliance);
  }
}
