import { Field, Float, ID, ObjectType, registerEnumType } from "type-graphql";
import { ConnectionType } from "../../common/pagination";
import { DateScalar, DateTimeScalar, MoneyScalar, type Decimal } from "../../common/scalars";
import { AlertKind, AlertStatus } from "../../generated/prisma/enums";

/** What a coordinator does with an OPEN alert. */
export const AlertAction = {
  VISIT: "VISIT",
  DISMISS: "DISMISS",
} as const;
export type AlertAction = (typeof AlertAction)[keyof typeof AlertAction];

export { AlertKind, AlertStatus };

registerEnumType(AlertKind, {
  name: "AlertKind",
  description: "What raised a 政策找人 alert.",
  valuesConfig: {
    MEDICAL_EXPENSE: { description: "Out-of-pocket medical spending over 12 months reached the share of income and the minimum in force." },
  },
});
registerEnumType(AlertStatus, {
  name: "AlertStatus",
  description: "Where a 政策找人 alert stands.",
  valuesConfig: {
    OPEN: { description: "Raised, not yet resolved; at most one OPEN alert per household and kind." },
    VISIT_SCHEDULED: { description: "Resolved by scheduling a visit: a service request was raised for the household." },
    DISMISSED: { description: "Resolved without action, with the coordinator's reason." },
  },
});
registerEnumType(AlertAction, {
  name: "AlertAction",
  description: "How resolveMonitoringAlert resolves an OPEN alert.",
  valuesConfig: {
    VISIT: { description: "Schedule a visit: raise a PRECISION_ASSISTANCE service request (urgency HIGH) for the household." },
    DISMISS: { description: "Dismiss it: a reason is required." },
  },
});

@ObjectType({ description: "The figures behind a medical-expense alert, as they were when it was raised or last updated." })
export class MonitoringAlertFigures {
  @Field(() => MoneyScalar, { description: "Out-of-pocket medical spending recorded for the days from `from` to `to`." })
  spending: Decimal;

  @Field(() => MoneyScalar, { description: "The household's income (member incomes of every kind) for the 12 months ending with the month of `to`." })
  income: Decimal;

  @Field(() => Float, { description: "The share of income the rule used (MEDICAL_ALERT_INCOME_SHARE), e.g. 0.5." })
  share: number;

  @Field(() => MoneyScalar, { description: "The spending that raises an alert: the larger of share × income and the minimum (MEDICAL_ALERT_MIN_AMOUNT)." })
  threshold: Decimal;

  @Field(() => DateScalar, { description: "First day of the 12 months counted." })
  from: Date;

  @Field(() => DateScalar, { description: "Last day of the 12 months counted: the day of the expense that raised or last updated the alert." })
  to: Date;
}

@ObjectType({ description: "政策找人: a household the data says may need help before it asks, for its village's coordinators to act on." })
export class MonitoringAlert {
  @Field(() => ID)
  id: string;

  @Field(() => AlertKind, { description: "What raised it." })
  kind: AlertKind;

  @Field(() => AlertStatus, { description: "OPEN → VISIT_SCHEDULED or DISMISSED." })
  status: AlertStatus;

  @Field({ description: "Why it was raised, in words (figures only, no personal data)." })
  reason: string;

  @Field(() => DateTimeScalar, { description: "When it was raised." })
  createdAt: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: "When it was resolved; null while OPEN." })
  resolvedAt: Date | null;

  @Field(() => String, { nullable: true, description: "The coordinator's note on resolving it: required for DISMISSED, optional for VISIT_SCHEDULED." })
  resolution: string | null;

  householdId: string;
  allianceId: string;
  figures: unknown;
  resolvedById: string | null;
  serviceRequestId: string | null;
}

export const MonitoringAlertConnection = ConnectionType(MonitoringAlert, "MonitoringAlert");

@ObjectType({ description: "Out-of-pocket medical spending of a household, recorded by a department, a coordinator or a visiting partner." })
export class MedicalExpense {
  @Field(() => ID)
  id: string;

  @Field(() => MoneyScalar, { description: "The amount paid out of pocket, in yuan (above 0)." })
  amount: Decimal;

  @Field(() => DateScalar, { description: "The day it was paid (China time), not in the future." })
  on: Date;

  @Field(() => String, { nullable: true, description: "A note, up to 500 characters, without ID or phone numbers." })
  note: string | null;

  @Field(() => DateTimeScalar, { description: "When it was recorded." })
  createdAt: Date;

  householdId: string;
  recordedById: string | null;
}
