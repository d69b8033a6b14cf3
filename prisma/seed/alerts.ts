import type { SqlRunner } from "../../src/db/sql-runner";

/**
 * 政策找人 demo data, written after the rest of the dataset (it reads the households, their
 * incomes and the accounts): medical expenses in the first half of 2025 and the alerts the rule
 * raises on them with the default settings (MEDICAL_ALERT_INCOME_SHARE 0.5,
 * MEDICAL_ALERT_MIN_AMOUNT 10000.00), every alert's figures those of its last expense's day:
 *
 * - 温岭市: 36 households whose spending reaches the threshold, each with an OPEN alert, and 24
 *   whose spending stays below the minimum (no alert);
 * - the other counties: 2 households each whose alert a coordinator dismissed.
 *
 * Households are picked by a hash of their id, so the same dataset gives the same picks.
 */
export const DEMO_ALERTS = { wenlingOpen: 36, wenlingBelow: 24, dismissedPerCounty: 2 } as const;

const SHARE = "0.5";
const MINIMUM = "10000.00";

export async function loadDemoAlerts(sql: SqlRunner, wenlingId: string): Promise<void> {
  await sql.query(
    `WITH wenling AS (SELECT path FROM alliance WHERE id = $1::uuid),
     candidates AS (
       SELECT h.id, h.alliance_id, row_number() OVER (ORDER BY md5(h.id::text)) AS n
         FROM household h JOIN alliance a ON a.id = h.alliance_id, wenling w
        WHERE a.path LIKE w.path || '%' AND h.status = 'ACTIVE'),
     picked AS (
       SELECT c.id, c.alliance_id, c.n, c.n <= $2 AS over,
              (SELECT COALESCE(sum(i.amount), 0) FROM member_income i
                WHERE i.household_id = c.id AND i.month BETWEEN DATE '2024-07-01' AND DATE '2025-06-01') AS income
         FROM candidates c WHERE c.n <= $2 + $3),
     spend AS (
       SELECT p.*,
              CASE WHEN p.over THEN round(GREATEST($5::numeric, $4::numeric * p.income) + 300 + (p.n % 17) * 731.45, 2)
                   ELSE round(1500 + (p.n % 11) * 650.30, 2) END AS total,
              make_date(2025, 6, 1 + (p.n % 28)::int) AS last_on
         FROM picked p)
     INSERT INTO medical_expense (household_id, amount, "on", note, created_at)
     SELECT s.id, e.amount, e."on", e.note, e."on"::timestamptz + interval '10 hours'
       FROM spend s
      CROSS JOIN LATERAL (VALUES
        (round(s.total * 0.6, 2), make_date(2025, 2, 1 + (s.n % 27)::int), '住院自付（医保结算数据）'),
        (s.total - round(s.total * 0.6, 2), s.last_on, '门诊慢病自付（探访时了解）')) AS e(amount, "on", note)`,
    [wenlingId, DEMO_ALERTS.wenlingOpen, DEMO_ALERTS.wenlingBelow, SHARE, MINIMUM],
  );
  await raiseAlerts(sql, `a.path LIKE (SELECT path FROM alliance WHERE id = $1::uuid) || '%'`, [wenlingId]);

  // Elsewhere: a few households per county whose alert was dismissed.
  await sql.query(
    `WITH candidates AS (
       SELECT h.id, county.id AS county_id,
              row_number() OVER (PARTITION BY county.id ORDER BY md5(h.id::text)) AS n
         FROM household h JOIN alliance a ON a.id = h.alliance_id
         JOIN alliance county ON county.level = 'COUNTY' AND a.path LIKE county.path || '%'
        WHERE county.id <> $1::uuid AND h.status = 'ACTIVE'),
     picked AS (
       SELECT c.id, c.n,
              (SELECT COALESCE(sum(i.amount), 0) FROM member_income i
                WHERE i.household_id = c.id AND i.month BETWEEN DATE '2024-06-01' AND DATE '2025-05-01') AS income
         FROM candidates c WHERE c.n <= $2)
     INSERT INTO medical_expense (household_id, amount, "on", note, created_at)
     SELECT p.id, round(GREATEST($4::numeric, $3::numeric * p.income) + 1200, 2), DATE '2025-05-12', '住院自付（医保结算数据）',
            TIMESTAMPTZ '2025-05-12 10:00:00+08'
       FROM picked p`,
    [wenlingId, DEMO_ALERTS.dismissedPerCounty, SHARE, MINIMUM],
  );
  await raiseAlerts(sql, `a.path NOT LIKE (SELECT path FROM alliance WHERE id = $1::uuid) || '%'`, [wenlingId]);
  await sql.query(
    `UPDATE monitoring_alert ma
        SET status = 'DISMISSED', resolved_at = ma.created_at + interval '3 days', resolution = '已纳入医疗救助，经核实无需探访',
            resolved_by_id = (SELECT id FROM account WHERE username = 'demo-admin')
       FROM alliance a
      WHERE a.id = ma.alliance_id AND a.path NOT LIKE (SELECT path FROM alliance WHERE id = $1::uuid) || '%'`,
    [wenlingId],
  );
}

/**
 * Raises the alert of each household of the subtree (`where`, on `alliance a`) whose expenses
 * reach the rule on its last expense's day, with that day's figures, as recordMedicalExpense would.
 */
async function raiseAlerts(sql: SqlRunner, where: string, params: unknown[]): Promise<void> {
  const n = params.length;
  await sql.query(
    `WITH last AS (
       SELECT e.household_id, max(e."on") AS "to" FROM medical_expense e GROUP BY e.household_id),
     figures AS (
       SELECT h.id AS household_id, h.alliance_id, l."to", (l."to" - interval '1 year' + interval '1 day')::date AS "from",
              (SELECT sum(e.amount) FROM medical_expense e
                WHERE e.household_id = h.id AND e."on" BETWEEN (l."to" - interval '1 year' + interval '1 day')::date AND l."to") AS spending,
              (SELECT COALESCE(sum(i.amount), 0) FROM member_income i
                WHERE i.household_id = h.id
                  AND i.month BETWEEN (date_trunc('month', l."to") - interval '11 months')::date AND l."to") AS income
         FROM last l JOIN household h ON h.id = l.household_id JOIN alliance a ON a.id = h.alliance_id
        WHERE ${where}),
     over AS (
       SELECT f.*, GREATEST($${n + 2}::numeric, $${n + 1}::numeric * f.income) AS threshold
         FROM figures f)
     INSERT INTO monitoring_alert (household_id, alliance_id, kind, status, reason, figures, created_at)
     SELECT o.household_id, o.alliance_id, 'MEDICAL_EXPENSE', 'OPEN',
            '近12个月自付医疗支出 ' || to_char(o.spending, 'FM999,999,999,990.00') || ' 元，达到家庭年收入（'
              || to_char(o.income, 'FM999,999,999,990.00') || ' 元）的 50%，且不低于 ' || to_char($${n + 2}::numeric, 'FM999,999,999,990.00') || ' 元',
            jsonb_build_object('spending', to_char(o.spending, 'FM999999999990.00'), 'income', to_char(o.income, 'FM999999999990.00'),
                               'share', $${n + 1}::numeric, 'threshold', to_char(round(o.threshold, 2), 'FM999999999990.00'),
                               'from', o."from"::text, 'to', o."to"::text),
            o."to"::timestamptz + interval '18 hours'
       FROM over o
      WHERE o.spending >= o.threshold
        AND NOT EXISTS (SELECT 1 FROM monitoring_alert x WHERE x.household_id = o.household_id)`,
    [...params, SHARE, MINIMUM],
  );
}
