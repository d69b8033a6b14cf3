import {
  AccountStates,
  allianceScopeWhere,
  hashPassword,
  LoginLimiter,
  verifyPassword,
  type Scope,
  type Viewer,
} from "../../auth";
import { findByIdsInOrder, isId, requireId } from "../../common/ids";
import { runMutation } from "../../common/mutation";
import { paginate, type Connection, type KeysetOrder, type PageArgs } from "../../common/pagination";
import { passwordProblem } from "../../config/password-policy";
import type { App } from "../../context";
import { AppError, badInput, conflict, ErrorCode, forbidden, notFound } from "../../errors";
import type { Account, Prisma } from "../../generated/prisma/client";
import type { Role } from "../../generated/prisma/enums";
import type { CreateAccountInput } from "./account.inputs";

const byUsername: KeysetOrder<Account> = { fields: ["username", "id"], direction: "asc" };

/** What start-up did with the configured ADMIN account. */
export type AdminOutcome = "created" | "reset" | "kept" | "not-admin";

/** Where a login or password check comes from, for the limits and the log. */
export interface LoginSource {
  readonly requestId: string;
  readonly clientAddress: string;
}

/** Sign-in accounts: login, creation by role, life cycle (password, deactivation), and start-up's ADMIN account. */
export class AccountService {
  constructor(private readonly app: App) {}

  private get prisma() {
    return this.app.prisma;
  }

  /** The signed-in account, or null without a viewer. */
  me(viewer: Viewer | null): Promise<Account | null> {
    if (!viewer) return Promise.resolve(null);
    return this.prisma.account.findUnique({ where: { id: viewer.accountId } });
  }

  /**
   * A token for a username and password. Wrong username and wrong password fail alike
   * (UNAUTHENTICATED, same message, same time), so accounts cannot be enumerated. Too many
   * failures for the username or from the address are refused with RATE_LIMITED before any
   * password is checked. A deactivated account is refused only after its password checks out.
   */
  async login(username: string, password: string, source: LoginSource): Promise<{ token: string; account: Account }> {
    const attempt = await this.app.get(LoginLimiter).begin(username, source.clientAddress);
    const account = await this.prisma.account.findUnique({ where: { username } });
    const valid = await verifyPassword(account?.passwordHash, password);
    if (!account || !valid) {
      const failures = attempt.failed();
      this.app.deps.logger.warn(
        { requestId: source.requestId, username: username.slice(0, 64), clientAddress: source.clientAddress, ...failures },
        "failed login",
      );
      throw new AppError(ErrorCode.UNAUTHENTICATED, "Wrong username or password");
    }
    await attempt.succeeded();
    if (!account.active) throw new AppError(ErrorCode.UNAUTHENTICATED, "This account is deactivated");
    const actor: Viewer = {
      accountId: account.id,
      role: account.role,
      allianceId: account.allianceId,
      organizationId: account.organizationId,
      requestId: source.requestId,
    };
    await runMutation(this.app, actor, { operation: "login", input: { username } }, async () => account);
    return { token: await this.app.deps.tokens.sign(account), account };
  }

  /**
   * ADMIN creates any account; a COORDINATOR creates PARTNER accounts only, for organizations
   * all of whose alliance memberships lie in its subtree (so the new account sees no more than
   * the coordinator). The password must pass the password policy.
   */
  async create(viewer: Viewer | null, input: CreateAccountInput): Promise<Account> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot create accounts");
    if (viewer?.role === "COORDINATOR" && input.role !== "PARTNER") {
      throw forbidden("A coordinator creates PARTNER accounts only");
    }
    let allianceId: string | null = null;
    let organizationId: string | null = null;
    if (input.role === "COORDINATOR") {
      if (!input.allianceId) throw badInput("allianceId", "a COORDINATOR needs an alliance");
      allianceId = (await this.app.deps.scopes.requireAlliance(viewer, requireId(input.allianceId, "allianceId"))).id;
    } else if (input.allianceId) {
      throw badInput("allianceId", `only a COORDINATOR has an alliance, not a ${input.role}`);
    }
    if (input.role === "PARTNER") {
      if (!input.organizationId) throw badInput("organizationId", "a PARTNER needs an organization");
      organizationId = requireId(input.organizationId, "organizationId");
      await this.requireOrganizationWithin(scope, organizationId);
    } else if (input.organizationId) {
      throw badInput("organizationId", `only a PARTNER has an organization, not a ${input.role}`);
    }
    this.requireStrongPassword("password", input.password, input.username);
    if (await this.prisma.account.findUnique({ where: { username: input.username } })) {
      throw conflict("username: this username is taken", { field: "username" });
    }
    const passwordHash = await hashPassword(input.password);
    return runMutation(this.app, viewer, { operation: "createAccount", input }, (tx) =>
      tx.account.create({ data: { username: input.username, passwordHash, role: input.role, allianceId, organizationId } }),
    );
  }

  /**
   * Changes the signed-in account's password and raises its token version: every token of the
   * account, the caller's included, stops working. A wrong current password is UNAUTHENTICATED
   * and counts as a failed login; a weak new one is BAD_USER_INPUT on newPassword.
   */
  async changePassword(viewer: Viewer | null, currentPassword: string, newPassword: string, clientAddress: string): Promise<boolean> {
    if (!viewer) throw new AppError(ErrorCode.UNAUTHENTICATED, "Sign in first");
    const account = await this.prisma.account.findUnique({ where: { id: viewer.accountId } });
    if (!account) throw new AppError(ErrorCode.UNAUTHENTICATED, "This token's account no longer exists: sign in again");
    this.requireStrongPassword("newPassword", newPassword, account.username);
    const attempt = await this.app.get(LoginLimiter).begin(account.username, clientAddress);
    if (!(await verifyPassword(account.passwordHash, currentPassword))) {
      const failures = attempt.failed();
      this.app.deps.logger.warn(
        { requestId: viewer.requestId, username: account.username, clientAddress, ...failures },
        "failed login (changePassword with a wrong current password)",
      );
      throw new AppError(ErrorCode.UNAUTHENTICATED, "currentPassword: this is not the account's current password", {
        field: "currentPassword",
      });
    }
    await attempt.succeeded();
    const passwordHash = await hashPassword(newPassword);
    await runMutation(this.app, viewer, { operation: "changePassword", input: {} }, (tx) =>
      tx.account.update({ where: { id: account.id }, data: { passwordHash, tokenVersion: { increment: 1 } } }),
    );
    this.app.get(AccountStates).forget(account.id);
    return true;
  }

  /**
   * Deactivates an account: it cannot sign in, and its tokens stop working (token version
   * raised) on every instance within TOKEN_CHECK_SECONDS. See `requireManageable` for who may.
   */
  async deactivate(viewer: Viewer | null, id: string): Promise<Account> {
    const account = await this.requireManageable(viewer, id);
    const updated = await runMutation(this.app, viewer, { operation: "deactivateAccount", input: { id } }, (tx) =>
      tx.account.update({ where: { id: account.id }, data: { active: false, tokenVersion: { increment: 1 } } }),
    );
    this.app.get(AccountStates).forget(account.id);
    return updated;
  }

  /**
   * Lets an account sign in again and lifts its username's login lock. Tokens issued before a
   * deactivation stay invalid: the account signs in anew. See `requireManageable` for who may.
   */
  async reactivate(viewer: Viewer | null, id: string): Promise<Account> {
    const account = await this.requireManageable(viewer, id);
    const updated = await runMutation(this.app, viewer, { operation: "reactivateAccount", input: { id } }, (tx) =>
      tx.account.update({ where: { id: account.id }, data: { active: true } }),
    );
    await this.app.get(LoginLimiter).clear(account.username);
    this.app.get(AccountStates).forget(account.id);
    return updated;
  }

  /**
   * Accounts by username, one keyset page. ADMIN: all; COORDINATOR: the COORDINATOR accounts
   * of its subtree and the PARTNER accounts of organizations with a membership in it; PARTNER:
   * FORBIDDEN.
   */
  async list(viewer: Viewer | null, filter: { role?: Role | null }, page: PageArgs): Promise<Connection<Account>> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot list accounts");
    const and: Prisma.AccountWhereInput[] = [];
    if (!scope.all) {
      const inScope = allianceScopeWhere(scope);
      and.push({
        OR: [
          { role: "COORDINATOR", alliance: inScope },
          { role: "PARTNER", organization: { memberships: { some: { alliance: inScope } } } },
        ],
      });
    }
    if (filter.role) and.push({ role: filter.role });
    return paginate(this.prisma.account, { AND: and }, byUsername, page);
  }

  /**
   * Creates the configured ADMIN account at start-up unless its username exists; instances
   * starting together do not trip over each other (the insert skips a duplicate). An existing
   * account is left alone, so a restart never undoes changePassword, unless `resetPassword`
   * (ADMIN_RESET_PASSWORD=true): then its password is reset, its tokens stop working, it is
   * made active and its login lock is lifted.
   */
  async ensureAdmin(admin: { username: string; password: string; resetPassword: boolean }): Promise<AdminOutcome> {
    const existing = await this.prisma.account.findUnique({ where: { username: admin.username } });
    if (!existing) {
      const passwordHash = await hashPassword(admin.password);
      const { count } = await this.prisma.account.createMany({
        data: [{ username: admin.username, passwordHash, role: "ADMIN" }],
        skipDuplicates: true,
      });
      return count === 1 ? "created" : "kept";
    }
    if (!admin.resetPassword) return "kept";
    if (existing.role !== "ADMIN") return "not-admin";
    const passwordHash = await hashPassword(admin.password);
    await runMutation(this.app, null, { operation: "resetAdminPassword", input: { username: admin.username } }, (tx) =>
      tx.account.update({ where: { id: existing.id }, data: { passwordHash, active: true, tokenVersion: { increment: 1 } } }),
    );
    await this.app.get(LoginLimiter).clear(admin.username);
    this.app.get(AccountStates).forget(existing.id);
    return "reset";
  }

  /** Accounts by id, in key order. */
  async findByIds(ids: readonly string[]): Promise<(Account | null)[]> {
    return findByIdsInOrder(this.prisma.account, ids);
  }

  private requireStrongPassword(field: string, password: string, username: string): void {
    const problem = passwordProblem(password, username, this.app.deps.config.passwordMinLength);
    if (problem) throw badInput(field, problem);
  }

  /**
   * Organizations a COORDINATOR may make partner accounts for and manage the accounts of: at
   * least one membership, and every membership, in its subtree. Everything for ADMIN.
   */
  private organizationWithinWhere(scope: Scope): Prisma.OrganizationWhereInput {
    if (scope.all) return {};
    const inScope = allianceScopeWhere(scope);
    return { memberships: { some: { alliance: inScope }, none: { alliance: { NOT: inScope } } } };
  }

  /** The organization exists (else BAD_USER_INPUT) and lies wholly within the scope (else FORBIDDEN). */
  private async requireOrganizationWithin(scope: Scope, organizationId: string): Promise<void> {
    const within = await this.prisma.organization.count({
      where: { AND: [{ id: organizationId }, this.organizationWithinWhere(scope)] },
    });
    if (within) return;
    if (!(await this.prisma.organization.count({ where: { id: organizationId } }))) {
      throw badInput("organizationId", "no organization has this id");
    }
    throw forbidden(
      "This organization is outside your subtree, or also a member of alliances outside it: only ADMIN can make its accounts",
    );
  }

  /**
   * The account `id` when the viewer may deactivate or reactivate it: ADMIN any account; a
   * COORDINATOR the COORDINATOR accounts of its subtree and the PARTNER accounts of
   * organizations wholly within it, never an ADMIN. Nobody changes its own account.
   * NOT_FOUND when there is none, FORBIDDEN otherwise.
   */
  private async requireManageable(viewer: Viewer | null, id: string): Promise<Account> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot manage accounts");
    if (!isId(id)) throw notFound("Account");
    const account = await this.prisma.account.findUnique({ where: { id: id.toLowerCase() } });
    if (!account) throw notFound("Account");
    if (account.id === viewer?.accountId) throw forbidden("You cannot deactivate or reactivate your own account");
    if (scope.all) return account;
    const inScope = allianceScopeWhere(scope);
    const manageable = await this.prisma.account.count({
      where: {
        id: account.id,
        OR: [
          { role: "COORDINATOR", alliance: inScope },
          { role: "PARTNER", organization: this.organizationWithinWhere(scope) },
        ],
      },
    });
    if (!manageable) throw forbidden("This account is outside what you may manage");
    return account;
  }
}
