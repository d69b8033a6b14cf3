export interface PageSize {
  files: number;
  raw: number;
  gzipped: number;
}
/** Gzipped and raw sizes of what the built console and the IDE load (dist/console). */
export function consoleSizes(): { console: PageSize; ide: PageSize; budget: number };
export const CONSOLE_BUDGET_BYTES: number;
