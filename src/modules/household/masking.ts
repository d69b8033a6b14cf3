/**
 * Two-character family names (复姓): a masked name keeps both characters of these. The list
 * holds the common ones; any other name keeps its first character only.
 */
export const COMPOUND_SURNAMES: ReadonlySet<string> = new Set([
  "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕",
  "令狐", "端木", "独孤", "南宫", "西门", "澹台", "公冶", "宗政", "濮阳", "太史", "申屠", "钟离", "闾丘", "呼延",
  "万俟", "赫连", "拓跋", "百里", "东郭", "南门", "羊舌", "微生", "梁丘", "左丘", "第五", "司空", "司寇", "亓官",
  "鲜于", "闻人", "仲孙", "叔孙", "淳于", "单于", "太叔", "乐正", "谷梁", "巫马", "公西", "漆雕", "壤驷", "颛孙",
]);

/** The family name of a person's name: a listed compound surname, else the first character. */
export function familyName(name: string): string {
  const chars = Array.from(name.trim());
  const firstTwo = chars.slice(0, 2).join("");
  if (chars.length > 2 && COMPOUND_SURNAMES.has(firstTwo)) return firstTwo;
  return chars[0] ?? "";
}

/**
 * Masks a person's name for callers without a ground to see it: the family name and `**`,
 * whatever the length of the given name (卢娜 → 卢**, 张小明 → 张**, 欧阳小明 → 欧阳**).
 */
export function maskName(name: string): string {
  return `${familyName(name)}**`;
}

/**
 * Masks a 身份证号 for callers without a ground to see it: the first 6 and the last 1
 * characters stay, the 11 between become `*` (331081***********X). Anything shorter than
 * eight characters is masked entirely.
 */
export function maskIdNumber(idNumber: string): string {
  if (idNumber.length < 8) return "*".repeat(idNumber.length);
  return `${idNumber.slice(0, 6)}${"*".repeat(idNumber.length - 7)}${idNumber.slice(-1)}`;
}
