import { Field, ID, ObjectType } from "type-graphql";
import { Role } from "../../common/enums";

@ObjectType({ description: "A sign-in account." })
export class Account {
  @Field(() => ID)
  id: string;

  @Field()
  username: string;

  @Field(() => Role)
  role: Role;

  allianceId: string | null;
  organizationId: string | null;
}

@ObjectType({ description: "What login returns: a bearer token and who it signs in." })
export class AuthPayload {
  @Field({ description: "Send as `Authorization: Bearer <token>`; it expires (TOKEN_TTL)." })
  token: string;

  @Field(() => Account)
  account: Account;
}
