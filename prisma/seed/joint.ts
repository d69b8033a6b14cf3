import type { SqlRunner } from "../../src/db/sql-runner";
import { APPLICATION_STATUS_SQL } from "../../src/modules/joint-handling";

/**
 * The catalogue of linked items (大救助"一件事"): 17 in Taizhou. The first ten are those the
 * bureau's letter names; no public source at hand names the other seven for Taizhou, so they are
 * marked illustrative. Each comes with the county department (a generated GOVERNMENT_DEPARTMENT,
 * `<county name><department>`) that handles it in every county.
 */
export const JOINT_ITEMS: [code: string, name: string, kind: string, illustrative: boolean, department: string][] = [
  ["EDUCATION_AID", "教育救助", "EDUCATION", false, "教育局"],
  ["EMPLOYMENT_AID", "就业救助", "HUMAN_RESOURCES", false, "人力资源和社会保障局"],
  ["HOUSING_AID", "住房救助", "HOUSING", false, "住房和城乡建设局"],
  ["MEDICAL_AID", "医疗救助", "MEDICAL_SECURITY", false, "医疗保障局"],
  ["DISABILITY_LIVING_SUBSIDY", "困难残疾人生活补贴", "DISABLED_PERSONS_FEDERATION", false, "残疾人联合会"],
  ["DISABILITY_NURSING_SUBSIDY", "重度残疾人护理补贴", "DISABLED_PERSONS_FEDERATION", false, "残疾人联合会"],
  ["CHARITY_AID", "慈善救助", "CHARITY_FEDERATION", false, "民政局"],
  ["WATER_RELIEF", "水费减免", "WATER_SUPPLY", false, "住房和城乡建设局"],
  ["ELECTRICITY_RELIEF", "电费减免", "POWER_SUPPLY", false, "民政局"],
  ["CABLE_TV_RELIEF", "有线电视费减免", "CABLE_TV", false, "文化和广电旅游体育局"],
  ["TEMPORARY_AID", "临时救助", "CIVIL_AFFAIRS", true, "民政局"],
  ["LEGAL_AID", "法律援助", "OTHER", true, "司法局"],
  ["FAMILY_DOCTOR", "家庭医生签约服务", "HEALTH", true, "卫生健康局"],
  ["VETERAN_AID", "退役军人帮扶", "OTHER", true, "退役军人事务局"],
  ["WORKER_AID", "困难职工帮扶", "OTHER", true, "总工会"],
  ["WOMEN_CHILDREN_AID", "困难妇女儿童帮扶", "OTHER", true, "妇女联合会"],
  ["AGRICULTURE_AID", "农业生产帮扶", "OTHER", true, "农业农村局"],
];

/** The pilot counties whose households get applications, and how many in each. */
const PILOT_COUNTIES = ["331002", "331082", "331081"];
const APPLICATIONS_PER_COUNTY = 120;

/**
 * Writes the catalogue, each county's department for each item, and applications with their
 * tasks on ACTIVE low-income households of the pilot counties, in every state (SUBMITTED,
 * IN_PROGRESS undecided and approved, COMPLETED, PARTLY_REJECTED, REJECTED) with tasks in every
 * status. An approved application asks for the category the household has and takes effect on
 * the day that category began in its history, so the history (and every figure from it) is left
 * as it is; undecided and rejected ones ask for another category. Statuses follow the rule of
 * AssistanceApplication.status. Runs in the loader's transaction, after the households' spans.
 * Rows written per table.
 */
export async function loadJointHandling(sql: SqlRunner, seed: number): Promise<Record<string, number>> {
  await sql.query(
    `INSERT INTO joint_item (code, name, department_kind, active, illustrative, created_at)
     SELECT i.code, i.name, i.kind::"JointDepartmentKind", true, i.illustrative, '2025-01-01T01:00:00Z'
       FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[]) AS i(code, name, kind, illustrative)`,
    [JOINT_ITEMS.map((i) => i[0]), JOINT_ITEMS.map((i) => i[1]), JOINT_ITEMS.map((i) => i[2]), JOINT_ITEMS.map((i) => i[3])],
  );
  const mappings = await sql.query(
    `INSERT INTO joint_item_department (county_alliance_id, item_code, organization_id, updated_at)
     SELECT c.id, i.code, o.id, '2025-01-01T01:00:00Z'
       FROM unnest($1::text[], $2::text[]) AS i(code, department)
       JOIN alliance c ON c.level = 'COUNTY'
       JOIN organization o ON o.kind = 'GOVERNMENT_DEPARTMENT' AND o.name = c.name || i.department
     RETURNING 1`,
    [JOINT_ITEMS.map((i) => i[0]), JOINT_ITEMS.map((i) => i[4])],
  );
  // A number in [0, 1) drawn from the seed and a salt (md5: the same on PGlite and PostgreSQL).
  const draw = (salt: string) => `(('x' || lpad(substr(md5($1::text || ${salt}), 1, 8), 16, '0'))::bit(64)::bigint::numeric / 4294967296)`;
  const applications = await sql.query(
    `WITH picked AS (
       SELECT h.id AS household_id, h.alliance_id, h.category::text AS category,
              row_number() OVER (PARTITION BY c.id ORDER BY md5($1::text || h.id::text)) AS n,
              (SELECT max(cc.effective_on) FROM household_category_change cc
                WHERE cc.household_id = h.id AND cc.kind IN ('REGISTERED', 'CATEGORY_CHANGED')) AS began
         FROM household h
         JOIN alliance v ON v.id = h.alliance_id
         JOIN alliance c ON c.level = 'COUNTY' AND c.region_code = ANY($2::text[]) AND v.path LIKE c.path || '%'
        WHERE h.status = 'ACTIVE' AND h.category IN ('DIBAO', 'DIBAO_MARGINAL', 'EXTREME_POVERTY')),
     chosen AS (
       SELECT p.*, p.n % 6 AS scenario, ${draw("p.household_id::text")} AS r FROM picked p WHERE p.n <= $3),
     dated AS (
       SELECT ch.*,
              CASE WHEN ch.scenario IN (2, 3, 4)
                   THEN ch.began - (7 + floor(ch.r * 30))::int
                   ELSE '2025-06-01'::date + floor(ch.r * 28)::int END AS submitted_on
         FROM chosen ch)
     INSERT INTO assistance_application
       (household_id, alliance_id, requested, note, status, decision, decision_reason, effective_on, submitted_at, decided_at)
     SELECT d.household_id, d.alliance_id,
            (CASE WHEN d.scenario IN (2, 3, 4) THEN d.category
                  WHEN d.category = 'DIBAO' THEN 'EXTREME_POVERTY' ELSE 'DIBAO' END)::"AssistanceCategory",
            NULL, 'SUBMITTED',
            (CASE WHEN d.scenario IN (2, 3, 4) THEN 'APPROVED' WHEN d.scenario = 5 THEN 'REJECTED' ELSE 'PENDING' END)::"ApplicationDecision",
            CASE WHEN d.scenario IN (2, 3, 4) THEN '经审核符合条件' WHEN d.scenario = 5 THEN '家庭收入超过认定标准' END,
            CASE WHEN d.scenario IN (2, 3, 4) THEN d.began END,
            d.submitted_on + interval '1 hour',
            CASE WHEN d.scenario IN (2, 3, 4) THEN d.began + interval '2 hours'
                 WHEN d.scenario = 5 THEN d.submitted_on + interval '10 days 2 hours' END
       FROM dated d
     RETURNING 1`,
    [String(seed), PILOT_COUNTIES, APPLICATIONS_PER_COUNTY],
  );
  // One to four items per application; the first task's status sets the application's state
  // (an open one, a rejected one...), the others are drawn. Draws go by household (one
  // application each), never by the applications' ids, which the database makes at random.
  const tasks = await sql.query(
    `WITH apps AS (
       SELECT ap.id, ap.household_id, ap.decision::text AS decision, ap.submitted_at, ap.decided_at,
              c.id AS county_id, 1 + floor(${draw("ap.household_id::text || 'k'")} * 4)::int AS k,
              row_number() OVER (PARTITION BY ap.decision ORDER BY ap.household_id) AS n
         FROM assistance_application ap
         JOIN alliance v ON v.id = ap.alliance_id
         JOIN alliance c ON c.level = 'COUNTY' AND v.path LIKE c.path || '%'),
     ranked AS (
       SELECT a.*, d.item_code, d.organization_id,
              row_number() OVER (PARTITION BY a.id ORDER BY md5($1::text || a.household_id::text || d.item_code)) AS rank,
              ${draw("a.household_id::text || d.item_code || 's'")} AS r
         FROM apps a JOIN joint_item_department d ON d.county_alliance_id = a.county_id),
     statused AS (
       SELECT ra.*,
              CASE
                WHEN ra.decision = 'REJECTED' THEN CASE WHEN ra.r < 0.5 THEN 'REJECTED' ELSE 'COMPLETED' END
                WHEN ra.decision = 'PENDING' AND ra.n % 2 = 0 THEN 'PENDING'
                WHEN ra.decision = 'PENDING' THEN
                  CASE WHEN ra.rank = 1 THEN 'ACCEPTED' WHEN ra.r < 0.4 THEN 'PENDING' WHEN ra.r < 0.8 THEN 'ACCEPTED' ELSE 'COMPLETED' END
                WHEN ra.n % 3 = 0 THEN CASE WHEN ra.rank = 1 THEN 'ACCEPTED' WHEN ra.r < 0.3 THEN 'PENDING' WHEN ra.r < 0.85 THEN 'COMPLETED' ELSE 'REJECTED' END
                WHEN ra.n % 3 = 1 THEN 'COMPLETED'
                ELSE CASE WHEN ra.rank = 1 OR ra.r < 0.3 THEN 'REJECTED' ELSE 'COMPLETED' END
              END AS status
         FROM ranked ra WHERE ra.rank <= ra.k)
     INSERT INTO joint_handling_task (application_id, item_code, organization_id, household_id, status, note, created_at, updated_at)
     SELECT s.id, s.item_code, s.organization_id, s.household_id, s.status::"JointTaskStatus",
            CASE s.status WHEN 'REJECTED' THEN '不符合该事项的办理条件' WHEN 'COMPLETED' THEN '已办结' WHEN 'ACCEPTED' THEN '已受理' END,
            s.submitted_at,
            CASE WHEN s.status = 'PENDING' THEN s.submitted_at ELSE s.submitted_at + (1 + floor(s.r * 9))::int * interval '1 day' END
       FROM statused s
     RETURNING 1`,
    [String(seed)],
  );
  await sql.query(
    `UPDATE assistance_application ap SET status = (
       SELECT ${APPLICATION_STATUS_SQL}
         FROM joint_handling_task t WHERE t.application_id = ap.id)`,
  );
  return {
    joint_item: JOINT_ITEMS.length,
    joint_item_department: mappings.length,
    assistance_application: applications.length,
    joint_handling_task: tasks.length,
  };
}
