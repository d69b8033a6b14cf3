import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { DateScalar } from "../../common/scalars";
import type { Context } from "../../context";
import { Alliance } from "../alliance";
import { closedThroughByPath } from "./reporting.loaders";
import { ReportingService } from "./reporting.service";

@Resolver()
export class ReportingResolver {
  @Mutation(() => Alliance, {
    description:
      "Closes reporting for an alliance's subtree through a day (COORDINATOR of the subtree, ADMIN): from then on records dated on or before it " +
      "can be added, changed or voided only by ADMIN, and stats for periods ending on or before it answer stored figures. " +
      "`through` must not be in the future nor before the closed date in force (BAD_USER_INPUT); closing through that same day again is a CONFLICT.",
  })
  closeReportingPeriod(
    @Arg("allianceId", () => ID, { description: "The alliance whose subtree closes." }) allianceId: string,
    @Arg("through", () => DateScalar, { description: "The last closed day (inclusive), China time." }) through: Date,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.get(ReportingService).close(ctx.viewer, allianceId, through);
  }
}

@Resolver(() => Alliance)
export class AllianceReportingResolver {
  @FieldResolver(() => DateScalar, {
    nullable: true,
    description: "The last day reporting is closed through here: this node's own close or an ancestor's, the latest; null when none.",
  })
  closedThrough(@Root() alliance: Alliance, @Ctx() ctx: Context): Promise<Date | null> {
    return closedThroughByPath(ctx).load(alliance.path);
  }
}
