import { Field, ID, ObjectType } from "type-graphql";
import { ProjectStatus, ServiceCategory } from "../../common/enums";
import { ConnectionType } from "../../common/pagination";
import { DateScalar, MoneyScalar, type Decimal } from "../../common/scalars";

@ObjectType({ description: "服务类社会救助项目: a service project run in an alliance by a lead organization and its partners." })
export class ServiceProject {
  @Field(() => ID)
  id: string;

  @Field({ description: "1 to 200 characters." })
  name: string;

  @Field(() => ServiceCategory)
  category: ServiceCategory;

  @Field(() => ProjectStatus, { description: "PLANNED → ACTIVE → COMPLETED; PLANNED or ACTIVE → CANCELLED." })
  status: ProjectStatus;

  @Field(() => DateScalar)
  startDate: Date;

  @Field(() => DateScalar, { nullable: true, description: "On or after startDate; null while open-ended." })
  endDate: Date | null;

  @Field(() => MoneyScalar, { description: "Planned budget in yuan." })
  budget: Decimal;

  allianceId: string;
  leadOrganizationId: string;
}

export const ServiceProjectConnection = ConnectionType(ServiceProject, "ServiceProject");
