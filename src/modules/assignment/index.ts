export { HouseholdAssignment, HouseholdAssignmentConnection } from "./assignment.types";
export { AssignmentService } from "./assignment.service";
export { householdAssignments } from "./assignment.loaders";
export { HouseholdAssignmentResolver, HouseholdAssignmentsResolver } from "./assignment.resolver";
