import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../context";
import { Alliance, allianceById } from "../alliance";
import { Organization, organizationById } from "../organization";
import { CreateAccountInput } from "./account.inputs";
import { AccountService } from "./account.service";
import { Account, AuthPayload } from "./account.types";

@Resolver(() => Account)
export class AccountResolver {
  @Query(() => Account, { nullable: true, description: "The signed-in account." })
  me(@Ctx() ctx: Context) {
    return ctx.app.get(AccountService).me(ctx.viewer);
  }

  @Mutation(() => AuthPayload, { description: "Signs in; the only operation that needs no token." })
  login(@Arg("username") username: string, @Arg("password") password: string, @Ctx() ctx: Context) {
    return ctx.app.get(AccountService).login(username, password, ctx.requestId);
  }

  @Mutation(() => Account, { description: "ADMIN: any account; COORDINATOR: PARTNER accounts in its subtree." })
  createAccount(@Arg("input") input: CreateAccountInput, @Ctx() ctx: Context) {
    return ctx.app.get(AccountService).create(ctx.viewer, input);
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
