export { Household, HouseholdConnection, HouseholdMember } from "./household.types";
export { HouseholdService, quarterOf, type HouseholdInScope } from "./household.service";
export { householdById, householdMembers, householdPiiAccess } from "./household.loaders";
export { HouseholdMemberResolver, HouseholdResolver } from "./household.resolver";
export { maskIdNumber, maskName } from "./masking";
export { eventAccessStatements, flushAccessRecords, markSubscriptionContext, recordUnmaskedRead } from "./access-record";
export { ageBandOf } from "./age-band";
