import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import { PageArgsType, pageToConnection, type Connection } from "../../common/pagination";
import { DateScalar } from "../../common/scalars";
import type { Context } from "../../context";
import type { Visit as VisitRecord } from "../../generated/prisma/client";
import { Household, householdById } from "../household";
import { Organization, organizationById } from "../organization";
import { RecordVisitInput } from "./visit.inputs";
import { householdLastVisitOn, householdVisitPage, visitById } from "./visit.loaders";
import { VisitService } from "./visit.service";
import { Visit, VisitConnection } from "./visit.types";

@Resolver(() => Visit)
export class VisitResolver {
  @Mutation(() => Visit, {
    description: "Records a 探访关爱 visit; each need found becomes an OPEN service request in the same transaction.",
  })
  recordVisit(@Arg("input") input: RecordVisitInput, @Ctx() ctx: Context) {
    return ctx.app.get(VisitService).record(ctx.viewer, input);
  }

  @FieldResolver(() => Household, { description: "The household visited." })
  async household(@Root() visit: Visit, @Ctx() ctx: Context) {
    return householdById(ctx).load(visit.householdId);
  }

  @FieldResolver(() => Organization, { nullable: true, description: "The organization that visited, if any." })
  async organization(@Root() visit: Visit, @Ctx() ctx: Context) {
    return visit.organizationId ? organizationById(ctx).load(visit.organizationId) : null;
  }
}

@Resolver(() => Household)
export class HouseholdVisitsResolver {
  @FieldResolver(() => VisitConnection, { description: "Visits to this household, newest first." })
  async visits(@Root() household: Household, @Args() { first, after }: PageArgsType, @Ctx() ctx: Context): Promise<Connection<VisitRecord>> {
    const page = await householdVisitPage(ctx, { first, after }).load(household.id);
    const nodes = await visitById(ctx).loadMany(page.ids);
    return pageToConnection(page, nodes.map((n) => (n instanceof Error ? null : n)));
  }

  @FieldResolver(() => DateScalar, { nullable: true, description: "The day of the latest visit; null when never visited." })
  lastVisitOn(@Root() household: Household, @Ctx() ctx: Context) {
    return householdLastVisitOn(ctx).load(household.id);
  }
}
