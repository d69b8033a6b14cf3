export { PersonalDataAccess, PersonalDataAccessConnection } from "./personal-data.types";
export { PersonalDataService } from "./personal-data.service";
export { PersonalDataAccessResolver } from "./personal-data.resolver";
