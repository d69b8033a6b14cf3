import { IsInt, IsOptional, Length, Max, MaxLength, Min } from "class-validator";
import { Field, ID, InputType, Int } from "type-graphql";
import { FundingSource, GrantLevel } from "../../common/enums";
import { DateScalar, MoneyScalar, type Decimal } from "../../common/scalars";
import { IsFreeText } from "../../common/validators";

@InputType({ description: "Money a project received from a source other than a welfare-lottery grant." })
export class AddFundingInput {
  @Field(() => ID)
  projectId: string;

  @Field(() => FundingSource, { description: "Not WELFARE_LOTTERY: grant money goes through allocateGrant." })
  source: FundingSource;

  @Field(() => MoneyScalar, { description: "Greater than 0, at most two decimals." })
  amount: Decimal;

  @Field(() => DateScalar, { description: "Not in the future." })
  receivedOn: Date;

  @Field(() => String, { nullable: true, description: "At most 500 characters." })
  @IsOptional()
  @MaxLength(500)
  @IsFreeText()
  note?: string | null;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first funding." })
  @IsOptional()
  idempotencyKey?: string | null;
}

@InputType({ description: "A welfare-lottery grant awarded to an alliance (ADMIN only)." })
export class CreateGrantInput {
  @Field({ description: "The grant's document number, unique; 1 to 64 characters." })
  @Length(1, 64)
  code: string;

  @Field(() => GrantLevel)
  level: GrantLevel;

  @Field(() => Int, { description: "2000 to 2100." })
  @IsInt()
  @Min(2000)
  @Max(2100)
  year: number;

  @Field(() => ID)
  allianceId: string;

  @Field(() => MoneyScalar, { description: "Greater than 0, at most two decimals." })
  amount: Decimal;
}

@InputType({ description: "Part of a grant given to a project in the grant's alliance subtree." })
export class AllocateGrantInput {
  @Field(() => ID)
  grantId: string;

  @Field(() => ID)
  projectId: string;

  @Field(() => MoneyScalar, { description: "Greater than 0, at most what remains of the grant." })
  amount: Decimal;

  @Field(() => DateScalar, { description: "Not in the future." })
  receivedOn: Date;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first funding." })
  @IsOptional()
  idempotencyKey?: string | null;
}
