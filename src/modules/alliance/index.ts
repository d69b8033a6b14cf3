export { Alliance, AllianceConnection } from "./alliance.types";
export { AllianceService, allianceColumns } from "./alliance.service";
export { allianceById } from "./alliance.loaders";
export { AllianceResolver } from "./alliance.resolver";
