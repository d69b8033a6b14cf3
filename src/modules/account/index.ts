export { Account, AccountConnection, AuthPayload } from "./account.types";
export { AccountService } from "./account.service";
export { accountById } from "./account.loaders";
export { AccountResolver } from "./account.resolver";
