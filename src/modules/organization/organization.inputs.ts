import { ArrayMaxSize, IsOptional, Length } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { OrganizationKind, ServiceCategory } from "../../common/enums";
import { IsCreditCode } from "../../common/validators";

@InputType()
export class CreateOrganizationInput {
  @Field({ description: "1 to 100 characters." })
  @Length(1, 100)
  name: string;

  @Field(() => OrganizationKind)
  kind: OrganizationKind;

  @Field(() => String, { nullable: true, description: "统一社会信用代码, checked against its GB 32100-2015 check character." })
  @IsOptional()
  @IsCreditCode()
  creditCode?: string | null;

  @Field(() => [ServiceCategory])
  @ArrayMaxSize(20)
  serviceCategories: ServiceCategory[];

  @Field(() => [ID], { description: "The alliances it joins (a coordinator's must lie in its subtree)." })
  @ArrayMaxSize(50)
  allianceIds: string[];

  @Field(() => String, {
    nullable: true,
    description: "1 to 128 characters: a retry with the same key by the same account returns the first result.",
  })
  @IsOptional()
  @Length(1, 128)
  idempotencyKey?: string | null;
}

@InputType({ description: "Changes to an organization: only the fields given change." })
export class UpdateOrganizationInput {
  @Field(() => ID)
  id: string;

  @Field(() => String, { nullable: true, description: "1 to 100 characters." })
  @IsOptional()
  @Length(1, 100)
  name?: string | null;

  @Field(() => String, { nullable: true, description: "统一社会信用代码, checked against its GB 32100-2015 check character; unique." })
  @IsOptional()
  @IsCreditCode()
  creditCode?: string | null;

  @Field(() => [ServiceCategory], { nullable: true, description: "What the organization offers, replacing the list." })
  @IsOptional()
  @ArrayMaxSize(20)
  serviceCategories?: ServiceCategory[] | null;

  @Field(() => OrganizationKind, { nullable: true, description: "Changed by ADMIN only." })
  @IsOptional()
  kind?: OrganizationKind | null;
}
