import { ArrayMaxSize, IsOptional, Length } from "class-validator";
import { Field, ID, InputType, registerEnumType } from "type-graphql";
import { ProjectStatus, ServiceCategory } from "../../common/enums";
import { DateScalar, MoneyScalar, type Decimal } from "../../common/scalars";

/** The orders `projects` lists in. */
export const ProjectOrder = {
  START_DATE_DESC: "START_DATE_DESC",
  BUDGET_DESC: "BUDGET_DESC",
  BUDGET_ASC: "BUDGET_ASC",
} as const;
export type ProjectOrder = (typeof ProjectOrder)[keyof typeof ProjectOrder];
registerEnumType(ProjectOrder, {
  name: "ProjectOrder",
  description: "The order of a project list; projects that tie are ordered by id.",
  valuesConfig: {
    START_DATE_DESC: { description: "The latest start first (the default)." },
    BUDGET_DESC: { description: "The largest budget first." },
    BUDGET_ASC: { description: "The smallest budget first." },
  },
});

@InputType({ description: "Which projects to list." })
export class ServiceProjectFilter {
  @Field(() => [ProjectStatus], { nullable: true, description: "Any of these statuses." })
  @IsOptional()
  @ArrayMaxSize(10)
  status?: ProjectStatus[] | null;

  @Field(() => [ServiceCategory], { nullable: true, description: "Any of these categories." })
  @IsOptional()
  @ArrayMaxSize(20)
  category?: ServiceCategory[] | null;

  @Field(() => DateScalar, { nullable: true, description: "With activeTo: started on or before `activeTo` and not ended before `activeFrom`." })
  @IsOptional()
  activeFrom?: Date | null;

  @Field(() => DateScalar, { nullable: true, description: "Started on or before this date." })
  @IsOptional()
  activeTo?: Date | null;
}

@InputType({ description: "A new service project, PLANNED until its status is set." })
export class CreateServiceProjectInput {
  @Field({ description: "1 to 200 characters." })
  @Length(1, 200)
  name: string;

  @Field(() => ID, { description: "The alliance that runs it (in your subtree)." })
  allianceId: string;

  @Field(() => ServiceCategory)
  category: ServiceCategory;

  @Field(() => ID, { description: "A member of the alliance or of one of its ancestors." })
  leadOrganizationId: string;

  @Field(() => [ID], { nullable: true, description: "Members of the alliance or of its ancestors; at most 50." })
  @IsOptional()
  @ArrayMaxSize(50)
  partnerIds?: string[] | null;

  @Field(() => DateScalar)
  startDate: Date;

  @Field(() => DateScalar, { nullable: true, description: "On or after startDate." })
  @IsOptional()
  endDate?: Date | null;

  @Field(() => MoneyScalar, { description: "Greater than 0, at most two decimals." })
  budget: Decimal;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first project." })
  @IsOptional()
  idempotencyKey?: string | null;
}

@InputType({ description: "Changes to a service project: only the fields given change." })
export class UpdateServiceProjectInput {
  @Field(() => ID)
  id: string;

  @Field(() => String, { nullable: true, description: "1 to 200 characters." })
  @IsOptional()
  @Length(1, 200)
  name?: string | null;

  @Field(() => DateScalar, { nullable: true, description: "On or before endDate." })
  @IsOptional()
  startDate?: Date | null;

  @Field(() => DateScalar, { nullable: true, description: "On or after startDate. Omit to keep it; an open end cannot be set again here." })
  @IsOptional()
  endDate?: Date | null;

  @Field(() => MoneyScalar, { nullable: true, description: "Greater than 0 and at least what the project is funded already (fundings not voided)." })
  @IsOptional()
  budget?: Decimal | null;

  @Field(() => [ID], {
    nullable: true,
    description: "The new partners, replacing all of them (an empty list removes them): members of the alliance or of its ancestors; at most 50.",
  })
  @IsOptional()
  @ArrayMaxSize(50)
  partnerIds?: string[] | null;
}
