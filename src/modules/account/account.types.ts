import { Field, ID, ObjectType } from "type-graphql";
import { Role } from "../../common/enums";
import { ConnectionType } from "../../common/pagination";

@ObjectType({ description: "A sign-in account." })
export class Account {
  @Field(() => ID)
  id: string;

  @Field({ description: "What the account signs in with; unique." })
  username: string;

  @Field(() => Role, { description: "ADMIN, COORDINATOR (of an alliance) or PARTNER (of an organization)." })
  role: Role;

  @Field({ description: "False once deactivated: it cannot sign in and its tokens no longer work." })
  active: boolean;

  allianceId: string | null;
  organizationId: string | null;
}

@ObjectType({ description: "What login returns: a bearer token and who it signs in." })
export class AuthPayload {
  @Field({ description: "Send as `Authorization: Bearer <token>`; it expires (TOKEN_TTL)." })
  token: string;

  @Field(() => Account, { description: "The account the token signs in." })
  account: Account;
}

export const AccountConnection = ConnectionType(Account, "Account");
