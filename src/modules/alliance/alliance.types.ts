import { Field, ID, ObjectType } from "type-graphql";
import { AllianceLevel, OperatingStatus } from "../../common/enums";
import { ConnectionType } from "../../common/pagination";

@ObjectType({ description: "A 助联体: one node of the CITY → COUNTY → TOWNSHIP → VILLAGE tree." })
export class Alliance {
  @Field(() => ID)
  id: string;

  @Field({ description: "Name of the place, e.g. 温岭市." })
  name: string;

  @Field(() => AllianceLevel)
  level: AllianceLevel;

  @Field({ description: "行政区划代码: 6 digits (city, county), 9 (township), 12 (village)." })
  regionCode: string;

  @Field(() => OperatingStatus)
  operatingStatus: OperatingStatus;

  parentId: string | null;
  path: string;
}

export const AllianceConnection = ConnectionType(Alliance, "Alliance");
