import { Field, ID, Int, ObjectType } from "type-graphql";
import { FundingSource, GrantLevel } from "../../common/enums";
import { DateScalar, DateTimeScalar, MoneyScalar, type Decimal } from "../../common/scalars";

@ObjectType({ description: "Money a project received: from one source, on one day." })
export class Funding {
  @Field(() => ID)
  id: string;

  @Field(() => FundingSource)
  source: FundingSource;

  @Field(() => MoneyScalar, { description: "Yuan, greater than 0." })
  amount: Decimal;

  @Field(() => DateScalar)
  receivedOn: Date;

  @Field(() => String, { nullable: true })
  note: string | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When the funding was voided (voidFunding); a voided funding stays listed but counts in no total. Null while it counts.",
  })
  voidedAt: Date | null;

  @Field(() => String, { nullable: true, description: "Why it was voided, as given to voidFunding; null while it counts." })
  voidReason: string | null;

  projectId: string;
  grantId: string | null;
  voidedById: string | null;
}

@ObjectType({ description: "A welfare-lottery public welfare fund (福彩公益金) grant, allocated to projects." })
export class WelfareLotteryGrant {
  @Field(() => ID)
  id: string;

  @Field({ description: "The grant's document number." })
  code: string;

  @Field(() => GrantLevel)
  level: GrantLevel;

  @Field(() => Int)
  year: number;

  @Field(() => MoneyScalar, { description: "Yuan awarded." })
  amount: Decimal;

  @Field(() => MoneyScalar, { description: "Yuan allocated to projects so far: the sum of `allocations` not voided (a voided allocation returns its amount), never more than `amount`." })
  allocated: Decimal;

  allianceId: string;
}
