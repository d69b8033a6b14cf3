export { loadConfig, ConfigError, durationSeconds } from "./config";
export type { Config, StorageMode } from "./config";
export { passwordProblem } from "./password-policy";
