export {
  DEMO_ACCOUNTS,
  DEMO_FIGURES,
  DEMO_SEED,
  TABLE_COLUMNS,
  formatDemoAccounts,
  generateDemoDataset,
  loadDemoDataset,
} from "./demo";
export type { DemoAccount, DemoLandmarks, DemoProgress, LoadDemoOptions, LoadDemoResult } from "./demo";
