export { Visit, VisitConnection } from "./visit.types";
export { VisitService } from "./visit.service";
export { visitById, householdLastVisitOn } from "./visit.loaders";
export { HouseholdVisitsResolver, VisitResolver } from "./visit.resolver";
