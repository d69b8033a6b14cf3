import { AgeBand } from "../../common/enums";

/** Full years between a birth date and `on` (both calendar dates at UTC midnight). */
export function ageOn(birthDate: Date, on: Date): number {
  let age = on.getUTCFullYear() - birthDate.getUTCFullYear();
  const beforeBirthday =
    on.getUTCMonth() < birthDate.getUTCMonth() ||
    (on.getUTCMonth() === birthDate.getUTCMonth() && on.getUTCDate() < birthDate.getUTCDate());
  if (beforeBirthday) age -= 1;
  return Math.max(age, 0);
}

/**
 * The age band of someone born on `birthDate`, on the day `on`: the 0–6, 7–10 and 11–14
 * bands districts use for minors, then 15–17, adults (18–59) and the elderly (60+).
 */
export function ageBandOf(birthDate: Date, on: Date): AgeBand {
  const age = ageOn(birthDate, on);
  if (age <= 6) return AgeBand.UNDER_7;
  if (age <= 10) return AgeBand.AGE_7_TO_10;
  if (age <= 14) return AgeBand.AGE_11_TO_14;
  if (age <= 17) return AgeBand.AGE_15_TO_17;
  if (age <= 59) return AgeBand.ADULT;
  return AgeBand.ELDERLY;
}
