/**
 * Passwords people pick first and attackers try first: a short list, checked without case
 * (a longer list belongs in front of the API, not in it).
 */
const COMMON_PASSWORDS = new Set([
  "1234567890", "12345678910", "0123456789", "1111111111", "0000000000", "1234512345", "1q2w3e4r5t",
  "qwertyuiop", "password12", "password123", "password1234", "passw0rd123", "p@ssw0rd123", "p@ssword123",
  "administrator", "admin12345", "admin123456", "admin@1234", "adminadmin", "welcome123", "welcome1234",
  "iloveyou123", "qwerty12345", "qwerty123456", "abc1234567", "abcd123456", "abcdefghij", "a123456789",
  "changeme123", "letmein123", "zhulian123", "zhulian1234", "zhulian12345", "woaini1314", "woaini520",
  "5201314520", "1314520520", "8888888888", "6666666666", "9999999999", "88888888888", "123123123123",
  "1qaz2wsx3edc", "qazwsxedc123", "asdfghjkl1", "zxcvbnm123", "trustno1234", "sunshine123", "football123",
  "baseball123", "superman123", "dragon12345", "monkey12345", "master12345", "shadow12345", "princess123",
]);

/**
 * What is wrong with a password, or null when it may be used: at least `minLength`
 * characters (default 10), not the username, not a common password.
 */
export function passwordProblem(password: string, username: string, minLength = 10): string | null {
  if (Array.from(password).length < minLength) return `must be at least ${minLength} characters`;
  if (Array.from(password).length > 128) return "must be at most 128 characters";
  const lower = password.toLowerCase();
  if (lower === username.toLowerCase()) return "must not be the username";
  if (COMMON_PASSWORDS.has(lower)) return "is too common; choose a longer phrase of your own";
  return null;
}
