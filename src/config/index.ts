export { loadConfig, ConfigError } from "./config";
export type { Config, StorageMode } from "./config";
