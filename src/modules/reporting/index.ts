export { ReportingService } from "./reporting.service";
export type { StoredLookup } from "./reporting.service";
export { ClosedPeriodGuard, requireVoidReason, VOID_REASON_MAX } from "./closed-period-guard";
export { AllianceReportingResolver, ReportingResolver } from "./reporting.resolver";
