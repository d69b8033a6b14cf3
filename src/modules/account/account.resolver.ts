import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Role } from "../../common/enums";
import { PageArgsType } from "../../common/pagination";
import type { Context } from "../../context";
import { Alliance, allianceById } from "../alliance";
import { Organization, organizationById } from "../organization";
import { CreateAccountInput, PASSWORD_DESCRIPTION } from "./account.inputs";
import { AccountService } from "./account.service";
import { Account, AccountConnection, AuthPayload } from "./account.types";

@ArgsType()
class AccountsArgs extends PageArgsType {
  @Field(() => Role, { nullable: true, description: "Only accounts of this role." })
  role?: Role | null;
}

@Resolver(() => Account)
export class AccountResolver {
  @Query(() => Account, { nullable: true, description: "The signed-in account." })
  me(@Ctx() ctx: Context) {
    return ctx.app.get(AccountService).me(ctx.viewer);
  }

  @Query(() => AccountConnection, {
    description:
      "Accounts by username. ADMIN: all; COORDINATOR: the coordinators of its subtree and the partners of organizations with a membership in it.",
  })
  accounts(@Args() { role, first, after }: AccountsArgs, @Ctx() ctx: Context) {
    return ctx.app.get(AccountService).list(ctx.viewer, { role }, { first, after });
  }

  @Mutation(() => AuthPayload, {
    description:
      "Signs in; the only operation that needs no token. Too many failed attempts for a username or from an address answer RATE_LIMITED for a while.",
  })
  login(@Arg("username") username: string, @Arg("password") password: string, @Ctx() ctx: Context) {
    return ctx.app.get(AccountService).login(username, password, ctx);
  }

  @Mutation(() => Account, {
    description:
      "ADMIN: any account; COORDINATOR: PARTNER accounts of organizations all of whose memberships lie in its subtree.",
  })
  createAccount(@Arg("input") input: CreateAccountInput, @Ctx() ctx: Context) {
    return ctx.app.get(AccountService).create(ctx.viewer, input);
  }

  @Mutation(() => Boolean, {
    description: "Changes the signed-in account's password; every token of the account, this one included, stops working.",
  })
  changePassword(
    @Arg("currentPassword") currentPassword: string,
    @Arg("newPassword", { description: PASSWORD_DESCRIPTION }) newPassword: string,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.get(AccountService).changePassword(ctx.viewer, currentPassword, newPassword, ctx.clientAddress);
  }

  @Mutation(() => Account, {
    description:
      "Stops an account: no sign-in, and its tokens stop working within seconds. ADMIN: any other account; COORDINATOR: the accounts it may manage.",
  })
  deactivateAccount(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.get(AccountService).deactivate(ctx.viewer, id);
  }

  @Mutation(() => Account, {
    description: "Lets an account sign in again and lifts its username's login lock; tokens from before stay invalid.",
  })
  reactivateAccount(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.get(AccountService).reactivate(ctx.viewer, id);
  }

  @FieldResolver(() => Alliance, { nullable: true, description: "A COORDINATOR's alliance." })
  alliance(@Root() account: Account, @Ctx() ctx: Context) {
    return account.allianceId ? allianceById(ctx).load(account.allianceId) : null;
  }

  @FieldResolver(() => Organization, { nullable: true, description: "A PARTNER's organization." })
  organization(@Root() account: Account, @Ctx() ctx: Context) {
    return account.organizationId ? organizationById(ctx).load(account.organizationId) : null;
  }
}
