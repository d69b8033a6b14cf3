import { hashPassword, verifyPassword, type Viewer } from "../../auth";
import { findByIdsInOrder, requireId } from "../../common/ids";
import { runMutation } from "../../common/mutation";
import type { App } from "../../context";
import { AppError, badInput, conflict, ErrorCode, forbidden } from "../../errors";
import type { Account } from "../../generated/prisma/client";
import { OrganizationService } from "../organization";
import type { CreateAccountInput } from "./account.inputs";

/** Sign-in accounts: login, creation by role, and start-up's ADMIN account. */
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
   * (UNAUTHENTICATED, same message, same time), so accounts cannot be enumerated.
   */
  async login(username: string, password: string, requestId: string): Promise<{ token: string; account: Account }> {
    const account = await this.prisma.account.findUnique({ where: { username } });
    const valid = await verifyPassword(account?.passwordHash, password);
    if (!account || !valid) throw new AppError(ErrorCode.UNAUTHENTICATED, "Wrong username or password");
    const actor: Viewer = { accountId: account.id, role: account.role, allianceId: account.allianceId, organizationId: account.organizationId, requestId };
    await runMutation(this.app, actor, { operation: "login", input: { username } }, async () => account);
    return { token: await this.app.deps.tokens.sign(account), account };
  }

  /** ADMIN creates any account; a COORDINATOR creates PARTNER accounts for organizations in its subtree. */
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
      const visible = await this.prisma.organization.count({
        where: { AND: [{ id: organizationId }, this.app.get(OrganizationService).visibleWhere(scope)] },
      });
      if (!visible) {
        const exists = await this.prisma.organization.count({ where: { id: organizationId } });
        if (!exists) throw badInput("organizationId", "no organization has this id");
        throw forbidden("This organization is outside your scope");
      }
    } else if (input.organizationId) {
      throw badInput("organizationId", `only a PARTNER has an organization, not a ${input.role}`);
    }
    if (await this.prisma.account.findUnique({ where: { username: input.username } })) {
      throw conflict("username: this username is taken", { field: "username" });
    }
    const passwordHash = await hashPassword(input.password);
    return runMutation(this.app, viewer, { operation: "createAccount", input }, (tx) =>
      tx.account.create({ data: { username: input.username, passwordHash, role: input.role, allianceId, organizationId } }),
    );
  }

  /**
   * Creates the configured ADMIN account at start-up unless its username exists; instances
   * starting together do not trip over each other (the insert skips a duplicate).
   */
  async ensureAdmin(username: string, password: string): Promise<boolean> {
    if (await this.prisma.account.findUnique({ where: { username } })) return false;
    const passwordHash = await hashPassword(password);
    const { count } = await this.prisma.account.createMany({
      data: [{ username, passwordHash, role: "ADMIN" }],
      skipDuplicates: true,
    });
    return count === 1;
  }

  /** Accounts by id, in key order. */
  async findByIds(ids: readonly string[]): Promise<(Account | null)[]> {
    return findByIdsInOrder(this.prisma.account, ids);
  }
}
