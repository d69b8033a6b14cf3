import { IsOptional, Length, Matches } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { AllianceLevel, OperatingStatus } from "../../common/enums";

@InputType({ description: "A new alliance node, exactly one level below its parent." })
export class CreateAllianceInput {
  @Field({ description: "1 to 100 characters." })
  @Length(1, 100)
  name: string;

  @Field(() => AllianceLevel)
  level: AllianceLevel;

  @Field({ description: "6 digits for CITY and COUNTY, 9 for TOWNSHIP, 12 for VILLAGE, under the parent's code." })
  @Matches(/^\d{6}(\d{3}){0,2}$/, { message: "regionCode must be 6, 9 or 12 digits" })
  regionCode: string;

  @Field(() => ID, { nullable: true, description: "Required for every level but CITY." })
  @IsOptional()
  parentId?: string | null;

  @Field(() => OperatingStatus, { nullable: true, description: "STANDARD when omitted." })
  @IsOptional()
  operatingStatus?: OperatingStatus | null;

  @Field(() => String, {
    nullable: true,
    description: "1 to 128 characters: a retry with the same key by the same account returns the first result.",
  })
  @IsOptional()
  @Length(1, 128)
  idempotencyKey?: string | null;
}
