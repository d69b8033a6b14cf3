import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import type { Role } from "../generated/prisma/enums";
import type { Viewer } from "./viewer";

const ISSUER = "zhulian";
const roles = new Set<Role>(["ADMIN", "COORDINATOR", "PARTNER"]);

export interface TokenAccount {
  id: string;
  role: Role;
  allianceId: string | null;
  organizationId: string | null;
  /** The account's token version: a token whose version is behind the account's is refused. */
  tokenVersion: number;
}

interface Claims {
  sub?: string;
  exp?: number;
  role?: Role;
  alliance?: string | null;
  org?: string | null;
  ver?: number;
}

/** Signs and checks the bearer tokens that `login` hands out (HS256 JWT, expiring). */
export class TokenIssuer {
  /** A KeyObject, so that verify does not first try the secret as a PEM public key on every call. */
  private readonly key: KeyObject;

  constructor(
    secret: string,
    private readonly ttl: string,
  ) {
    this.key = createSecretKey(Buffer.from(secret, "utf8"));
  }

  sign(account: TokenAccount): Promise<string> {
    const claims = { role: account.role, alliance: account.allianceId, org: account.organizationId, ver: account.tokenVersion };
    return Promise.resolve(
      jwt.sign(claims, this.key, {
        algorithm: "HS256",
        subject: account.id,
        issuer: ISSUER,
        expiresIn: this.ttl as jwt.SignOptions["expiresIn"],
      }),
    );
  }

  /**
   * The viewer a token stands for, or null when it is malformed, forged or expired. This checks
   * the signature only: whether the account still accepts the token is AccountStates' question.
   */
  async verify(token: string, requestId: string): Promise<Viewer | null> {
    try {
      const claims = jwt.verify(token, this.key, { issuer: ISSUER, algorithms: ["HS256"] }) as Claims;
      if (!claims.sub || !claims.role || !roles.has(claims.role)) return null;
      if (typeof claims.ver !== "number" || !Number.isInteger(claims.ver)) return null;
      return {
        accountId: claims.sub,
        role: claims.role,
        allianceId: claims.alliance ?? null,
        organizationId: claims.org ?? null,
        requestId,
        tokenVersion: claims.ver,
        expiresAt: claims.exp ? claims.exp * 1000 : undefined,
      };
    } catch {
      return null;
    }
  }
}

/** The token in an `Authorization: Bearer …` value, if there is one. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== "string") return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}
