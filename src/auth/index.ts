export type { Viewer } from "./viewer";
export { hashPassword, verifyPassword } from "./passwords";
export { TokenIssuer, bearerToken } from "./tokens";
export type { TokenAccount } from "./tokens";
export { ScopeResolver, allianceScopeSql, allianceScopeWhere, inScope, scopeRootsWithin } from "./scope";
export type { Scope } from "./scope";
