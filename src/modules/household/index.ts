export { Household, HouseholdCategoryChange, HouseholdConnection, HouseholdMember, HouseholdMemberChange } from "./household.types";
export { HouseholdService, householdColumns, quarterOf, type HouseholdInScope } from "./household.service";
export { householdById, householdMembers, householdPiiAccess } from "./household.loaders";
export {
  HouseholdCategoryChangeResolver,
  HouseholdMemberChangeResolver,
  HouseholdMemberResolver,
  HouseholdResolver,
} from "./household.resolver";
export { maskIdNumber, maskName } from "./masking";
export {
  eventAccessStatements,
  flushAccessRecords,
  markSubscriptionContext,
  recordEventReads,
  recordUnmaskedRead,
  takeUnmaskedReads,
} from "./access-record";
export { ageBandOf } from "./age-band";
