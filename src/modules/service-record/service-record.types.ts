import { Field, ID, ObjectType } from "type-graphql";
import { DateScalar } from "../../common/scalars";

@ObjectType({ description: "One household served once by a project: the unit of 户次." })
export class ServiceRecord {
  @Field(() => ID)
  id: string;

  @Field(() => DateScalar, { description: "The day of the service, not in the future." })
  servedOn: Date;

  @Field(() => String, { nullable: true })
  note: string | null;

  projectId: string;
  householdId: string;
  organizationId: string;
  serviceRequestId: string | null;
}
