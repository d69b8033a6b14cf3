import { IsOptional, Length, Matches } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { Role } from "../../common/enums";

@InputType()
export class CreateAccountInput {
  @Field({ description: "3 to 64 letters, digits, dots, dashes or underscores." })
  @Length(3, 64)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: "username may hold only letters, digits, '.', '-' and '_'" })
  username: string;

  @Field({ description: "8 to 128 characters." })
  @Length(8, 128, { message: "password must be 8 to 128 characters" })
  password: string;

  @Field(() => Role)
  role: Role;

  @Field(() => ID, { nullable: true, description: "Required for a COORDINATOR." })
  @IsOptional()
  allianceId?: string | null;

  @Field(() => ID, { nullable: true, description: "Required for a PARTNER." })
  @IsOptional()
  organizationId?: string | null;
}
