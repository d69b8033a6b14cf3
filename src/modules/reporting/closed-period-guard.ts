import type { Viewer } from "../../auth";
import type { Tx } from "../../common/mutation";
import { isoDate } from "../../common/scalars";
import { containsPersonalNumber, PERSONAL_NUMBER_MESSAGE } from "../../common/validators";
import type { App } from "../../context";
import { badInput } from "../../errors";
import { ReportingService } from "./reporting.service";

/** The longest reason a void may give. */
export const VOID_REASON_MAX = 200;

/** A void's reason, trimmed: 1 to 200 characters, no ID or phone number (BAD_USER_INPUT on `reason` otherwise). */
export function requireVoidReason(reason: string): string {
  const trimmed = reason.trim();
  if (!trimmed || trimmed.length > VOID_REASON_MAX) throw badInput("reason", `must be 1 to ${VOID_REASON_MAX} characters`);
  if (containsPersonalNumber(trimmed)) throw badInput("reason", PERSONAL_NUMBER_MESSAGE);
  return trimmed;
}

/**
 * The closed-period guard of one mutation's dated writes (ReportingService.requireOpen), run
 * inside its transaction. `audit` is what the mutation writes to the audit log: an ADMIN
 * correction inside a closed period adds `closedPeriodCorrection` (the closed date) to it, and
 * `committed()` brings the stored figures up to date once the transaction has committed.
 */
export class ClosedPeriodGuard {
  /** The audit input: the mutation's input, plus `closedPeriodCorrection` for a correction. */
  readonly audit: Record<string, unknown>;
  private readonly corrections: { alliancePath: string; on: Date }[] = [];

  constructor(
    private readonly app: App,
    private readonly viewer: Viewer | null,
    input: object,
  ) {
    this.audit = { ...input };
  }

  /** CONFLICT naming the closed date and `field` when `on` is closed at `alliancePath` and the viewer is not ADMIN. */
  async check(tx: Tx, alliancePath: string, on: Date, field: string): Promise<void> {
    const closed = await this.app.get(ReportingService).requireOpen(this.viewer, alliancePath, on, field, tx);
    if (!closed) return;
    this.audit.closedPeriodCorrection = isoDate(closed);
    this.corrections.push({ alliancePath, on });
  }

  /** After commit: tells ReportingService of each correction made (nothing when none was). */
  async committed(): Promise<void> {
    const reporting = this.app.get(ReportingService);
    for (const { alliancePath, on } of this.corrections.splice(0)) await reporting.correctionCommitted(alliancePath, on);
  }

  /** Runs `work` (the mutation) and then `committed()`: returns what `work` returned. */
  async around<T>(work: () => Promise<T>): Promise<T> {
    const result = await work();
    await this.committed();
    return result;
  }
}
