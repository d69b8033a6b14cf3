export { ServiceProject, ServiceProjectConnection } from "./project.types";
export { ServiceProjectFilter } from "./project.inputs";
export { ProjectService } from "./project.service";
export type { ProjectWithPath } from "./project.service";
export { projectById } from "./project.loaders";
export { AllianceProjectsResolver, OrganizationProjectsResolver, ServiceProjectResolver } from "./project.resolver";
