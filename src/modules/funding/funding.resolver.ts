import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { LIST_FIRST_DESCRIPTION, listSize } from "../../common/bounded-list";
import { MoneyScalar, type Decimal } from "../../common/scalars";
import type { Context } from "../../context";
import { Account, accountById } from "../account";
import { Alliance, allianceById } from "../alliance";
import { ServiceProject, projectById } from "../project";
import { AddFundingInput, AllocateGrantInput, CreateGrantInput } from "./funding.inputs";
import { grantAllocations, grantById, projectFundingTotal, projectFundings } from "./funding.loaders";
import { FundingService } from "./funding.service";
import { Funding, WelfareLotteryGrant } from "./funding.types";

@Resolver(() => Funding)
export class FundingResolver {
  @Mutation(() => Funding, {
    description:
      "Records money a project received (ADMIN, COORDINATOR of its subtree). WELFARE_LOTTERY is refused: use allocateGrant.",
  })
  addFunding(@Arg("input") input: AddFundingInput, @Ctx() ctx: Context) {
    return ctx.app.get(FundingService).addFunding(ctx.viewer, input);
  }

  @Mutation(() => Funding, { description: "Fails with GRANT_EXHAUSTED, writing nothing, when amount exceeds what remains." })
  allocateGrant(@Arg("input") input: AllocateGrantInput, @Ctx() ctx: Context) {
    return ctx.app.get(FundingService).allocateGrant(ctx.viewer, input);
  }

  @Mutation(() => Funding, {
    description:
      "Voids a funding recorded in error (ADMIN, COORDINATOR of the project's subtree): it stays, with voidedAt, voidedBy and voidReason, and counts in no total; a WELFARE_LOTTERY allocation's amount returns to its grant. `reason`: 1 to 200 characters. Voiding twice is a CONFLICT; inside a closed reporting period only ADMIN may void.",
  })
  voidFunding(@Arg("id", () => ID) id: string, @Arg("reason") reason: string, @Ctx() ctx: Context) {
    return ctx.app.get(FundingService).voidFunding(ctx.viewer, id, reason);
  }

  @FieldResolver(() => Account, { nullable: true, description: "Who voided the funding: shown to ADMIN and COORDINATOR, null for PARTNER and while it counts." })
  voidedBy(@Root() funding: Funding, @Ctx() ctx: Context) {
    if (!funding.voidedById || ctx.viewer?.role === "PARTNER") return null;
    return accountById(ctx).load(funding.voidedById);
  }

  @FieldResolver(() => ServiceProject, { description: "The project that received the money." })
  project(@Root() funding: Funding, @Ctx() ctx: Context) {
    return projectById(ctx).load(funding.projectId);
  }

  @FieldResolver(() => WelfareLotteryGrant, {
    nullable: true,
    description:
      "Set when source is WELFARE_LOTTERY (null for PARTNER callers, who do not see grants); shown even when the grant was awarded above your subtree.",
  })
  grant(@Root() funding: Funding, @Ctx() ctx: Context) {
    if (!funding.grantId || ctx.viewer?.role === "PARTNER") return null;
    return grantById(ctx).load(funding.grantId);
  }
}

@Resolver(() => WelfareLotteryGrant)
export class WelfareLotteryGrantResolver {
  @Query(() => WelfareLotteryGrant, { nullable: true, description: "One grant; FORBIDDEN for PARTNER and outside your subtree." })
  grant(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.get(FundingService).findGrant(ctx.viewer, id);
  }

  @Query(() => [WelfareLotteryGrant], {
    description:
      "Grants awarded in your subtree, newest year first, at most `first` (FORBIDDEN for PARTNER); `allianceId` keeps that alliance and those below it.",
  })
  grants(
    @Arg("year", () => Int, { nullable: true }) year: number | null,
    @Arg("allianceId", () => ID, { nullable: true }) allianceId: string | null,
    @Arg("first", () => Int, { nullable: true, description: LIST_FIRST_DESCRIPTION }) first: number | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.get(FundingService).listGrants(ctx.viewer, year, allianceId, first);
  }

  @Mutation(() => WelfareLotteryGrant, { description: "Records a grant awarded to an alliance (ADMIN only)." })
  createGrant(@Arg("input") input: CreateGrantInput, @Ctx() ctx: Context) {
    return ctx.app.get(FundingService).createGrant(ctx.viewer, input);
  }

  @FieldResolver(() => Alliance, { description: "The alliance the grant was awarded to; allocations go to projects in its subtree." })
  alliance(@Root() grant: WelfareLotteryGrant, @Ctx() ctx: Context) {
    return allianceById(ctx).load(grant.allianceId);
  }

  @FieldResolver(() => MoneyScalar, { description: "Yuan not yet allocated: amount − allocated." })
  remaining(@Root() grant: WelfareLotteryGrant): Decimal {
    return grant.amount.minus(grant.allocated);
  }

  @FieldResolver(() => [Funding], {
    description:
      "The WELFARE_LOTTERY fundings made from this grant, oldest first, at most `first`: only those of projects whose fundings you may see (a COORDINATOR: its subtree's).",
  })
  allocations(
    @Root() grant: WelfareLotteryGrant,
    @Arg("first", () => Int, { nullable: true, description: LIST_FIRST_DESCRIPTION }) first: number | null,
    @Ctx() ctx: Context,
  ) {
    return grantAllocations(ctx, listSize(first)).load(grant.id);
  }
}

@Resolver(() => ServiceProject)
export class ServiceProjectFundingResolver {
  @FieldResolver(() => [Funding], {
    description:
      "The project's fundings, oldest first, at most `first`, voided ones included (with voidedAt set). A PARTNER sees them only on projects its organization leads; on projects it merely partners in this is empty.",
  })
  fundings(
    @Root() project: ServiceProject,
    @Arg("first", () => Int, { nullable: true, description: LIST_FIRST_DESCRIPTION }) first: number | null,
    @Ctx() ctx: Context,
  ) {
    return projectFundings(ctx, listSize(first)).load(project.id);
  }

  @FieldResolver(() => MoneyScalar, {
    description: "The sum of the project's fundings, voided ones left out, visible to everyone who may read the project (partners included).",
  })
  fundingTotal(@Root() project: ServiceProject, @Ctx() ctx: Context) {
    return projectFundingTotal(ctx).load(project.id);
  }
}
