import { board } from "./zh-CN/board";
import { common } from "./zh-CN/common";
import { dashboard } from "./zh-CN/dashboard";
import { households } from "./zh-CN/households";
import { tasks } from "./zh-CN/tasks";

/**
 * Every word the console shows (zh-CN), in one place: one file per area under zh-CN/, merged here.
 * Pages read `t.board.title`, never a literal.
 */
export const t = { ...common, board, households, tasks, dashboard };

/** The label of an enum value, or the value itself when it has none. */
export function label<K extends keyof typeof common.enums>(enumName: K, value: string | null | undefined): string {
  if (!value) return "";
  return (common.enums[enumName] as Record<string, string>)[value] ?? value;
}
