/**
 * Masks a person's name for callers without PII access: the first character stays, and the
 * last one too when the name has three or more; every other character becomes `*`
 * (张三 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明).
 */
export function maskName(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= 1) return "*";
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${"*".repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/**
 * Masks a 身份证号 for callers without PII access: the first four and last four characters
 * stay, the ten between them become `*` (3310**********1234). Anything shorter than nine
 * characters is masked entirely.
 */
export function maskIdNumber(idNumber: string): string {
  if (idNumber.length < 9) return "*".repeat(idNumber.length);
  return `${idNumber.slice(0, 4)}${"*".repeat(idNumber.length - 8)}${idNumber.slice(-4)}`;
}
