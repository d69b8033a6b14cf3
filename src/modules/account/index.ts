export { Account, AuthPayload } from "./account.types";
export { AccountService } from "./account.service";
export { AccountResolver } from "./account.resolver";
