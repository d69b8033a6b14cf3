import type { SqlRunner } from "../../src/db/sql-runner";

/**
 * The demo's assistance standards, minimum wages, county settings and members' incomes. With
 * them, `stats(<台州市>, 2025-05-01, 2025-05-31) { averageTopUp topUpRate }` answers the letter's
 * "992.21" and 0.8666 (992.21 / 1,145) exactly.
 */
export const DEMO_TOP_UP = { from: "2025-05-01", to: "2025-05-31", averageTopUp: "992.21", topUpRate: 0.8666 } as const;

/** The city's standards: 低保 1,145 until 2025-05-31 and 1,190 from 2025-06-01; 特困 basic living 2,058. */
const CITY_STANDARDS: [category: string, amount: string, from: string][] = [
  ["DIBAO", "1145.00", "2024-06-01"],
  ["DIBAO", "1190.00", "2025-06-01"],
  ["DIBAO_MARGINAL", "1717.50", "2024-06-01"],
  ["DIBAO_MARGINAL", "1785.00", "2025-06-01"],
  ["EXTREME_POVERTY", "2058.00", "2025-01-01"],
];

/** Monthly minimum wages by county class (illustrative amounts): the six districts and cities, then the three counties. */
const MINIMUM_WAGES: [regionCodes: string[], amount: string][] = [
  [["331002", "331003", "331004", "331081", "331082", "331083"], "2490.00"],
  [["331022", "331023", "331024"], "2290.00"],
];

/** The months incomes are generated for, and their countable income per person on average: the standard less 992.21. */
const INCOME_MONTHS = { from: "2025-01-01", to: "2025-06-01" } as const;
const COUNTABLE_PER_PERSON_FEN = 15279;

/**
 * Writes the standards, minimum wages, 温岭市's setting (the 幸福岗位 rule on) and, for every
 * household that is 低保 on the last day of a month of 2025-01..06, one WAGE income of one of its
 * members: amounts drawn from the seed, scaled so that the month's countable income is exactly
 * 152.79 per person (the last fens spread one by one over the first households by id), so that
 * the month's average top-up is the standard less 152.79. A quarter of 温岭市's 低保 households
 * also get a supported-job wage below the minimum wage, which the rule leaves out. Runs in the
 * loader's transaction, after the households' spans (household_state) are built. Rows written per table.
 */
export async function loadStandards(sql: SqlRunner, seed: number, landmarks: { cityId: string; wenlingId: string }): Promise<Record<string, number>> {
  await sql.query(
    `INSERT INTO assistance_standard (alliance_id, category, monthly_amount, effective_from, created_at)
     SELECT $1::uuid, s.category::"AssistanceCategory", s.amount, s.effective_from, '2025-01-01T01:00:00Z'
       FROM unnest($2::text[], $3::numeric[], $4::date[]) AS s(category, amount, effective_from)`,
    [landmarks.cityId, CITY_STANDARDS.map((s) => s[0]), CITY_STANDARDS.map((s) => s[1]), CITY_STANDARDS.map((s) => s[2])],
  );
  let wages = 0;
  for (const [codes, amount] of MINIMUM_WAGES) {
    const rows = await sql.query(
      `INSERT INTO minimum_wage (alliance_id, monthly_amount, effective_from, created_at)
       SELECT id, $2::numeric, '2024-01-01', '2025-01-01T01:00:00Z' FROM alliance WHERE level = 'COUNTY' AND region_code = ANY($1::text[])
       RETURNING id`,
      [codes, amount],
    );
    wages += rows.length;
  }
  await sql.query(
    `INSERT INTO county_assistance_setting (alliance_id, exempt_supported_job_wage, updated_at) VALUES ($1::uuid, true, '2025-01-01T01:00:00Z')`,
    [landmarks.wenlingId],
  );
  // A number in [0, 1) drawn from the seed, a household and a month (md5: the same on PGlite and PostgreSQL).
  const draw = (salt: string) =>
    `(('x' || lpad(substr(md5($3::text || '${salt}' || c.household_id::text || c.month::text), 1, 8), 16, '0'))::bit(64)::bigint::numeric / 4294967296)`;
  const [incomes] = await sql.query<{ n: number }>(
    `WITH months AS (
       SELECT m::date AS month, (m + interval '1 month')::date - 1 AS last
         FROM generate_series($1::date::timestamp, $2::date::timestamp, interval '1 month') AS m),
     cases AS (
       SELECT s.household_id, s.alliance_id, mo.month, s.persons
         FROM months mo JOIN household_state s ON s.category = 'DIBAO' AND s.valid_from <= mo.last AND (s.valid_to IS NULL OR s.valid_to > mo.last)),
     weighted AS (SELECT c.*, c.persons * (0.25 + 1.5 * ${draw("wage")}) AS weight, ${draw("job")} AS job FROM cases c),
     totals AS (SELECT month, sum(persons) * $4::bigint AS target, sum(weight) AS weight FROM weighted GROUP BY month),
     shares AS (
       SELECT w.*, floor(w.weight / t.weight * t.target) AS fen, t.target,
              row_number() OVER (PARTITION BY w.month ORDER BY w.household_id) AS n
         FROM weighted w JOIN totals t USING (month)),
     missing AS (SELECT month, max(target) - sum(fen) AS fens FROM shares GROUP BY month),
     earners AS (
       SELECT DISTINCT ON (household_id) household_id, id AS member_id FROM household_member
        WHERE left_on IS NULL ORDER BY household_id, joined_on, birth_date, id),
     wenling AS (SELECT a.id FROM alliance a WHERE a.path LIKE (SELECT path FROM alliance WHERE id = $5::uuid) || '%'),
     inserted AS (
     INSERT INTO member_income (household_id, member_id, month, kind, amount, created_at)
     SELECT s.household_id, e.member_id, s.month, 'WAGE'::"IncomeKind", (s.fen + CASE WHEN s.n <= m.fens THEN 1 ELSE 0 END) / 100, s.month + interval '1 month 9 hours'
       FROM shares s JOIN missing m USING (month) JOIN earners e USING (household_id)
     UNION ALL
     SELECT s.household_id, e.member_id, s.month, 'SUPPORTED_JOB_WAGE'::"IncomeKind", 1500 + floor(s.job * 4 * 700), s.month + interval '1 month 9 hours'
       FROM shares s JOIN earners e USING (household_id)
      WHERE s.alliance_id IN (SELECT id FROM wenling) AND s.job < 0.25
     RETURNING 1)
     SELECT count(*)::int AS n FROM inserted`,
    [INCOME_MONTHS.from, INCOME_MONTHS.to, seed, COUNTABLE_PER_PERSON_FEN, landmarks.wenlingId],
  );
  return { assistance_standard: CITY_STANDARDS.length, minimum_wage: wages, county_assistance_setting: 1, member_income: incomes.n };
}
