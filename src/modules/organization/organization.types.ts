import { Field, ID, ObjectType } from "type-graphql";
import { OrganizationKind, ServiceCategory } from "../../common/enums";
import { ConnectionType } from "../../common/pagination";

@ObjectType({ description: "A partner: a department, social organization, enterprise, association, charity or volunteer team." })
export class Organization {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field(() => OrganizationKind)
  kind: OrganizationKind;

  @Field(() => String, {
    nullable: true,
    description: "统一社会信用代码: 18 characters with a valid GB 32100-2015 check character; null for some government units.",
  })
  creditCode: string | null;

  @Field(() => [ServiceCategory], { description: "What the organization offers." })
  serviceCategories: ServiceCategory[];
}

export const OrganizationConnection = ConnectionType(Organization, "Organization");
