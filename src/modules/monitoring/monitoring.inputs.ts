import { IsOptional, Length } from "class-validator";
import { ArgsType, Field, ID, InputType } from "type-graphql";
import { PageArgsType } from "../../common/pagination";
import { DateScalar, MoneyScalar, type Decimal } from "../../common/scalars";
import { IsFreeText } from "../../common/validators";
import { AlertStatus } from "./monitoring.types";

@InputType({ description: "Out-of-pocket medical spending of a household to record (政策找人)." })
export class RecordMedicalExpenseInput {
  @Field(() => ID, {
    description:
      "The household: in your subtree (COORDINATOR); for a PARTNER, in your alliances' subtrees when your organization is a GOVERNMENT_DEPARTMENT, or assigned to your organization today.",
  })
  householdId: string;

  @Field(() => MoneyScalar, { description: "The amount paid out of pocket, in yuan: above 0." })
  amount: Decimal;

  @Field(() => DateScalar, { description: "The day it was paid: not in the future (China time), not before 2000." })
  on: Date;

  @Field(() => String, { nullable: true, description: "Up to 500 characters; no ID or phone numbers." })
  @IsOptional()
  @Length(0, 500)
  @IsFreeText()
  note?: string | null;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first record and counts once." })
  @IsOptional()
  idempotencyKey?: string | null;
}

@ArgsType()
export class MonitoringAlertsArgs extends PageArgsType {
  @Field(() => ID, { nullable: true, description: "Alerts of households in this alliance or below it (default: your whole scope)." })
  allianceId?: string | null;

  @Field(() => AlertStatus, { nullable: true, description: "Only alerts with this status (default: all)." })
  status?: AlertStatus | null;
}
