export { Assessment, AssistanceStandard, CountyAssistanceSetting, MemberIncome, MinimumWage } from "./standard.types";
export { StandardService, assessedSql, monthOf, DEFAULT_MARGINAL_MULTIPLIER } from "./standard.service";
export { householdAssessment, householdIncomes } from "./standard.loaders";
export { AssistanceStandardResolver, HouseholdAssessmentResolver } from "./standard.resolver";
