import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { PageArgsType, pageToConnection, type Connection } from "../../common/pagination";
import { DateScalar } from "../../common/scalars";
import type { Context } from "../../context";
import type { Visit as VisitRecord } from "../../generated/prisma/client";
import { Account, accountById } from "../account";
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

  @Mutation(() => Visit, {
    description:
      "Voids a visit recorded in error: ADMIN, COORDINATOR of the household's subtree, or a PARTNER for a visit its own organization made. It stays, with voidedAt, voidedBy and voidReason, and counts in no figure (nor in lastVisitOn); needs it raised stay. `reason`: 1 to 200 characters. Voiding twice is a CONFLICT; inside a closed reporting period only ADMIN may void.",
  })
  voidVisit(@Arg("id", () => ID) id: string, @Arg("reason") reason: string, @Ctx() ctx: Context) {
    return ctx.app.get(VisitService).voidVisit(ctx.viewer, id, reason);
  }

  @FieldResolver(() => Account, { nullable: true, description: "Who voided the visit: shown to ADMIN and COORDINATOR, null for PARTNER and while it counts." })
  voidedBy(@Root() visit: Visit, @Ctx() ctx: Context) {
    if (!visit.voidedById || ctx.viewer?.role === "PARTNER") return null;
    return accountById(ctx).load(visit.voidedById);
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
  @FieldResolver(() => VisitConnection, { description: "Visits to this household, newest first, voided ones included (with voidedAt set)." })
  async visits(@Root() household: Household, @Args() { first, after }: PageArgsType, @Ctx() ctx: Context): Promise<Connection<VisitRecord>> {
    const page = await householdVisitPage(ctx, { first, after }).load(household.id);
    const nodes = await visitById(ctx).loadMany(page.ids);
    return pageToConnection(page, nodes.map((n) => (n instanceof Error ? null : n)));
  }

  @FieldResolver(() => DateScalar, { nullable: true, description: "The day of the latest visit not voided; null when never visited." })
  lastVisitOn(@Root() household: Household, @Ctx() ctx: Context) {
    return householdLastVisitOn(ctx).load(household.id);
  }
}
