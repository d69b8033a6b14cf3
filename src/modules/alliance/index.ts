export { Alliance, AllianceConnection } from "./alliance.types";
export { AllianceService } from "./alliance.service";
export { allianceById } from "./alliance.loaders";
export { AllianceResolver } from "./alliance.resolver";
