import { Field, Float, Int, ObjectType } from "type-graphql";
import { AllianceLevel, FundingSource } from "../../common/enums";
import { DateScalar, MoneyScalar, type Decimal } from "../../common/scalars";

@ObjectType({ description: "Persons, not households." })
export class PopulationByCategory {
  @Field(() => Int, { description: "低收入群体: dibao + dibaoMarginal + extremePoverty (otherMonitored is not in it)." })
  total: number;

  @Field(() => Int, { description: "Persons in 低保 households." })
  dibao: number;

  @Field(() => Int, { description: "Persons in 低保边缘 households." })
  dibaoMarginal: number;

  @Field(() => Int, { description: "Persons in 特困供养 households." })
  extremePoverty: number;

  @Field(() => Int, { description: "Persons in other monitored households (动态监测), outside the low-income total." })
  otherMonitored: number;
}

@ObjectType({ description: "The low-income population of one calendar month of the period, and its movement in that month." })
export class MonthlyPopulation {
  @Field({ description: "The calendar month, \"2025-03\" (China time)." })
  month: string;

  @Field(() => DateScalar, { description: "The day the persons are counted on: the month's last day, or the period's `to` in its last month." })
  asOf: Date;

  @Field(() => Int, { description: "低收入群体 on asOf: dibao + dibaoMarginal + extremePoverty." })
  total: number;

  @Field(() => Int, { description: "Persons in households that are 低保 on asOf." })
  dibao: number;

  @Field(() => Int, { description: "Persons in households that are 低保边缘 on asOf." })
  dibaoMarginal: number;

  @Field(() => Int, { description: "Persons in households that are 特困供养 on asOf." })
  extremePoverty: number;

  @Field(() => Int, {
    description:
      "Persons of households that entered the low-income categories in the month (within the period): registered in one, or moved into one from OTHER_MONITORED.",
  })
  entered: number;

  @Field(() => Int, {
    description:
      "Persons of households that left the low-income categories in the month (within the period): exited, or moved to OTHER_MONITORED; counted as they were the day before.",
  })
  exited: number;
}

@ObjectType({ description: "户次 of one calendar month of the period: service records and visits, voided ones never counting." })
export class MonthServed {
  @Field({ description: "The calendar month, \"2025-03\" (China time)." })
  month: string;

  @Field(() => Int, {
    description: "Service records dated in the month (and the period), as householdTimesServed counts them: summed over the months, householdTimesServed.",
  })
  householdTimes: number;

  @Field(() => Int, {
    description: "Visits dated in the month (and the period), as visitHouseholdTimes counts them: summed over the months, visitHouseholdTimes.",
  })
  visitHouseholdTimes: number;
}

@ObjectType({ description: "Fundings received in the period from one source." })
export class FundingBySource {
  @Field(() => FundingSource)
  source: FundingSource;

  @Field(() => MoneyScalar, { description: "Sum of the source's fundings received in the period (0.00 when none)." })
  amount: Decimal;
}

@ObjectType({ description: "Alliances of one level in the subtree." })
export class AllianceCountByLevel {
  @Field(() => AllianceLevel)
  level: AllianceLevel;

  @Field(() => Int, { description: "Alliances of this level in the subtree." })
  total: number;

  @Field(() => Int, { description: "Of those, the ones whose status is STANDARD (规范运行)." })
  standard: number;
}

@ObjectType({ description: "Figures for an alliance and everything below it, over the period [from, to] inclusive." })
export class AllianceStats {
  @Field(() => DateScalar, { description: "First day of the period." })
  from: Date;

  @Field(() => DateScalar, { description: "Last day of the period (inclusive)." })
  to: Date;

  @Field(() => PopulationByCategory, {
    description:
      "Persons of the subtree's households by their category on `to` (the period's last day): households recognized by then and not exited, with the members they had that day.",
  })
  lowIncomePopulation: PopulationByCategory;

  // simple: GraphQL's default resolver calls the function, so the monthly figures are computed only when asked for.
  @Field(() => [MonthlyPopulation], {
    simple: true,
    description:
      "One row per calendar month of the period, oldest first: the population as of the month's last day (or `to`), and the persons who entered and left the low-income categories that month. A period of more than 120 months is BAD_USER_INPUT naming this field.",
  })
  lowIncomePopulationByMonth: () => Promise<MonthlyPopulation[]>;

  /** Absent from figures read back from `closed_figures` (never stored): StatsService.forAlliances computes it live for them. */
  @Field(() => [MonthServed], {
    simple: true,
    description:
      "householdTimesServed and visitHouseholdTimes by calendar month: one row per month the period touches, oldest first, 0 for a month with none; the first and last months count only their days in the period. A period of more than 120 months is BAD_USER_INPUT naming this field.",
  })
  servedByMonth?: () => Promise<MonthServed[]>;

  @Field(() => MoneyScalar, {
    nullable: true,
    simple: true,
    description:
      "补差: the monthly top-ups of the subtree's 低保 households (category DIBAO on each month's last day, or `to`), as Household.assessment computes them against the standard in force that day, summed over the months the period touches and divided by their person-months; rounded half-up to the fen. Null when there is no such household (with a standard).",
  })
  averageTopUp: () => Promise<Decimal | null>;

  @Field(() => Float, {
    nullable: true,
    simple: true,
    description:
      "averageTopUp over the 低保 standard the top-ups were computed against (person-weighted where it changed), to 4 decimals (0.8666); null when averageTopUp is.",
  })
  topUpRate: () => Promise<number | null>;

  @Field(() => Int, { description: "Service projects active at any time in the period." })
  projectCount: number;

  @Field(() => MoneyScalar, {
    description:
      "Sum of fundings received in the period (voided ones never count); for a PARTNER, only of projects its organization leads or partners in.",
  })
  fundingTotal: Decimal;

  @Field(() => [FundingBySource], { description: "fundingTotal by source, every source in a fixed order." })
  fundingBySource: FundingBySource[];

  @Field(() => Int, {
    description: "Distinct GOVERNMENT_DEPARTMENT organizations taking part in the subtree's projects active in the period.",
  })
  linkedDepartments: number;

  @Field(() => Int, {
    description: "Distinct SOCIAL_ORGANIZATION organizations taking part in the subtree's projects active in the period.",
  })
  participatingSocialOrganizations: number;

  @Field(() => Int, { description: "户次: service records in the period (voided ones never count)." })
  householdTimesServed: number;

  @Field(() => Int, { description: "Distinct households with a service record (not voided) in the period." })
  householdsServed: number;

  @Field(() => Int, { description: "户次: visits in the period (voided ones never count)." })
  visitHouseholdTimes: number;

  @Field(() => Int, { description: "Visits in the period on which the 幸福清单 was delivered." })
  happinessListsDelivered: number;

  @Field(() => [AllianceCountByLevel], { description: "Alliances in the subtree by level, from the node's own level down." })
  alliancesByLevel: AllianceCountByLevel[];

  @Field(() => Float, { description: "Share of alliances in the subtree whose status is STANDARD, 0..1." })
  standardOperationRate: number;

  @Field(() => Int, { description: "Service requests in the subtree that are OPEN now (not limited by the period)." })
  openServiceRequests: number;

  @Field(() => Int, { description: "政策找人 monitoring alerts of households in the subtree that are OPEN now (not limited by the period)." })
  openMonitoringAlerts: number;
}
