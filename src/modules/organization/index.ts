export { Organization, OrganizationConnection } from "./organization.types";
export { OrganizationService } from "./organization.service";
export { organizationById } from "./organization.loaders";
export { AllianceMembersResolver, OrganizationResolver } from "./organization.resolver";
