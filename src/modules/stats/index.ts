export { StatsService } from "./stats.service";
export type { StatsPeriod, StatsRoot } from "./stats.service";
export { AllianceStats, AllianceCountByLevel, FundingBySource, MonthlyPopulation, MonthServed, PopulationByCategory } from "./stats.types";
export { AllianceStatsResolver, StatsResolver } from "./stats.resolver";
