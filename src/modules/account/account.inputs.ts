import { IsOptional, Length, Matches, MaxLength } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { Role } from "../../common/enums";

/** The longest password accepted anywhere; the shortest is PASSWORD_MIN_LENGTH, checked by the password policy. */
export const MAX_PASSWORD_LENGTH = 128;

export const PASSWORD_DESCRIPTION =
  "At least PASSWORD_MIN_LENGTH (default 10) and at most 128 characters; not the username, not a common password.";

@InputType()
export class CreateAccountInput {
  @Field({ description: "3 to 64 letters, digits, dots, dashes or underscores." })
  @Length(3, 64)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: "username may hold only letters, digits, '.', '-' and '_'" })
  username: string;

  @Field({ description: PASSWORD_DESCRIPTION })
  @MaxLength(MAX_PASSWORD_LENGTH, { message: `password must be at most ${MAX_PASSWORD_LENGTH} characters` })
  password: string;

  @Field(() => Role, { description: "A COORDINATOR may create PARTNER accounts only." })
  role: Role;

  @Field(() => ID, { nullable: true, description: "Required for a COORDINATOR." })
  @IsOptional()
  allianceId?: string | null;

  @Field(() => ID, { nullable: true, description: "Required for a PARTNER." })
  @IsOptional()
  organizationId?: string | null;
}
