import type { Role } from "../generated/prisma/enums";

/** Who is asking: the signed-in account as its token describes it, for one request. */
export interface Viewer {
  readonly accountId: string;
  readonly role: Role;
  /** A COORDINATOR's alliance. */
  readonly allianceId: string | null;
  /** A PARTNER's organization. */
  readonly organizationId: string | null;
  /** The request (or WebSocket operation) the viewer is acting in, for the audit log. */
  readonly requestId: string;
  /** The account's token version the token was signed with (see AccountStates). */
  readonly tokenVersion?: number;
  /** When the token that signed the viewer in expires (ms since the epoch), if it says. */
  readonly expiresAt?: number;
}
