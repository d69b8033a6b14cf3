import { registerDecorator, type ValidationOptions } from "class-validator";

const CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The GB 32100-2015 check character for the first 17 characters of a 统一社会信用代码. */
export function creditCodeCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += CREDIT_CODE_CHARS.indexOf(first17[i]) * CREDIT_CODE_WEIGHTS[i];
  return CREDIT_CODE_CHARS[(31 - (sum % 31)) % 31];
}

/** A 统一社会信用代码: 18 characters of the GB 32100-2015 alphabet, the last one its check character. */
export function isCreditCode(value: unknown): boolean {
  if (typeof value !== "string" || value.length !== 18) return false;
  for (const ch of value) if (!CREDIT_CODE_CHARS.includes(ch)) return false;
  if (!/^\d{6}$/.test(value.slice(2, 8))) return false;
  return creditCodeCheckCharacter(value) === value[17];
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";

/** The GB 11643 check character for the first 17 digits of a 身份证号. */
export function residentIdCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * ID_WEIGHTS[i];
  return ID_CHECK[sum % 11];
}

/** The birth date written in a 身份证号 (digits 7–14), or undefined when it is no real date. */
export function residentIdBirthDate(value: string): Date | undefined {
  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date;
}

/** A 身份证号: 17 digits, a GB 11643 check character, a real birth date between 1900 and today. */
export function isResidentId(value: unknown, today = new Date()): boolean {
  if (typeof value !== "string" || !/^\d{17}[\dX]$/.test(value)) return false;
  if (residentIdCheckCharacter(value) !== value[17]) return false;
  const birth = residentIdBirthDate(value);
  return birth !== undefined && birth.getUTCFullYear() >= 1900 && birth.getTime() <= today.getTime();
}

/** Digits a region code has at each level of the alliance tree (GB/T 2260 and its extensions). */
export const REGION_CODE_LENGTH = { CITY: 6, COUNTY: 6, TOWNSHIP: 9, VILLAGE: 12 } as const;

function decorator(name: string, test: (value: unknown) => boolean, message: string) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target, propertyName) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message, ...options },
        validator: { validate: (value: unknown) => value === null || value === undefined || test(value) },
      });
}

export const IsCreditCode = decorator(
  "isCreditCode",
  isCreditCode,
  "must be an 18-character 统一社会信用代码 with a valid GB 32100-2015 check character",
);

export const IsResidentId = decorator(
  "isResidentId",
  (value) => isResidentId(value),
  "must be an 18-character 身份证号 with a valid GB 11643 check digit and a real birth date",
);

/** Full-width ASCII (U+FF01–U+FF5E) as the ASCII character it stands for. */
function halfWidth(text: string): string {
  return text.replace(/[\uFF01-\uFF5E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0));
}

/** White space (U+3000 included) and dashes of any kind, which people put inside numbers. */
const SEPARATORS = /[\s\p{Pd}\u2212\uFE63\uFF0D]/gu;

const MOBILE_NUMBER = /1[3-9]\d{9}/;
const ID_CANDIDATE = /^\d{17}[\dX]$/;

/**
 * True when free text carries a 身份证号 (valid check digit and birth date) or a mainland
 * mobile number (`1[3-9]` and 9 digits, anywhere in a run of digits), once full-width
 * characters are made ASCII and white space and dashes are removed.
 */
export function containsPersonalNumber(text: string, today = new Date()): boolean {
  const compact = halfWidth(text).replace(SEPARATORS, "").toUpperCase();
  if (MOBILE_NUMBER.test(compact)) return true;
  for (let i = 0; i + 18 <= compact.length; i += 1) {
    const candidate = compact.slice(i, i + 18);
    if (ID_CANDIDATE.test(candidate) && isResidentId(candidate, today)) return true;
  }
  return false;
}

/** The message of a refused free text; it never repeats the text. */
export const PERSONAL_NUMBER_MESSAGE = "must not contain an ID or phone number";

/** Free text that partners read: no 身份证号 and no mobile number (see containsPersonalNumber). */
export const IsFreeText = decorator(
  "isFreeText",
  (value) => typeof value === "string" && !containsPersonalNumber(value),
  PERSONAL_NUMBER_MESSAGE,
);
