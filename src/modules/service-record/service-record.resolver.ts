import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from "type-graphql";
import type { Context } from "../../context";
import { Account, accountById } from "../account";
import { Household, householdById } from "../household";
import { Organization, organizationById } from "../organization";
import { ServiceProject, projectById } from "../project";
import { RecordServiceInput } from "./service-record.inputs";
import { projectServedCounts } from "./service-record.loaders";
import { ServiceRecordService } from "./service-record.service";
import { ServiceRecord } from "./service-record.types";

@Resolver(() => ServiceRecord)
export class ServiceRecordResolver {
  @Mutation(() => ServiceRecord, {
    description:
      "Records one 户次. A PARTNER records for its own organization on projects it leads or partners in; with serviceRequestId the request becomes FULFILLED in the same transaction.",
  })
  recordService(@Arg("input") input: RecordServiceInput, @Ctx() ctx: Context) {
    return ctx.app.get(ServiceRecordService).record(ctx.viewer, input);
  }

  @Mutation(() => ServiceRecord, {
    description:
      "Voids a 户次 recorded in error: ADMIN, COORDINATOR of the project's subtree, or a PARTNER for a record its own organization made. It stays, with voidedAt, voidedBy and voidReason, and counts in no figure; a service request it fulfilled stays FULFILLED. `reason`: 1 to 200 characters. Voiding twice is a CONFLICT; inside a closed reporting period only ADMIN may void.",
  })
  voidServiceRecord(@Arg("id", () => ID) id: string, @Arg("reason") reason: string, @Ctx() ctx: Context) {
    return ctx.app.get(ServiceRecordService).voidRecord(ctx.viewer, id, reason);
  }

  @FieldResolver(() => Account, { nullable: true, description: "Who voided the record: shown to ADMIN and COORDINATOR, null for PARTNER and while it counts." })
  voidedBy(@Root() record: ServiceRecord, @Ctx() ctx: Context) {
    if (!record.voidedById || ctx.viewer?.role === "PARTNER") return null;
    return accountById(ctx).load(record.voidedById);
  }

  @FieldResolver(() => ServiceProject)
  project(@Root() record: ServiceRecord, @Ctx() ctx: Context) {
    return projectById(ctx).load(record.projectId);
  }

  @FieldResolver(() => Household, { description: "The household served (names masked as the Household type does for you)." })
  household(@Root() record: ServiceRecord, @Ctx() ctx: Context) {
    return householdById(ctx).load(record.householdId);
  }

  @FieldResolver(() => Organization, { description: "The organization that gave the service." })
  organization(@Root() record: ServiceRecord, @Ctx() ctx: Context) {
    return organizationById(ctx).load(record.organizationId);
  }
}

@Resolver(() => ServiceProject)
export class ServiceProjectServedResolver {
  @FieldResolver(() => Int, { description: "户次: service records of this project, voided ones left out." })
  async servedHouseholdTimes(@Root() project: ServiceProject, @Ctx() ctx: Context): Promise<number> {
    return (await projectServedCounts(ctx).load(project.id)).householdTimes;
  }

  @FieldResolver(() => Int, { description: "Distinct households served by this project (by records not voided)." })
  async servedHouseholds(@Root() project: ServiceProject, @Ctx() ctx: Context): Promise<number> {
    return (await projectServedCounts(ctx).load(project.id)).households;
  }
}
