/**
 * The demo dataset: the city of 台州市 with its nine real county-level alliances, generated
 * townships and villages (温岭市 has 太平街道 and 石桥头镇), partner organizations of every kind,
 * service projects, fundings, welfare-lottery grants, households with their members, visits,
 * service records and service requests. On it, `stats(<台州市>, 2025-01-01, 2025-06-30)` answers
 * the bureau's published figures exactly (DEMO_FIGURES). Households have a history through 2025
 * (entries, category changes, exits, births and deaths) that keeps the figures on 2025-06-30
 * exact; a few records are voided; the city's first half of 2025 is closed. Everyone in it is made up: names are
 * drawn from word lists, ID numbers and credit codes are synthetic with valid check characters.
 * The same seed gives the same rows (password hashes aside: argon2 salts them).
 *
 * Demo accounts (for the demo only: anyone who reads this knows the passwords):
 *
 * | username            | password              | role        | scope                                  |
 * | ------------------- | --------------------- | ----------- | -------------------------------------- |
 * | demo-admin          | zhulian-demo-admin    | ADMIN       | the whole city                         |
 * | wenling-coordinator | zhulian-demo-wenling  | COORDINATOR | 温岭市 and everything below it         |
 * | taiping-coordinator | zhulian-demo-taiping  | COORDINATOR | 太平街道 (温岭市) and its villages      |
 * | wenling-partner     | zhulian-demo-partner  | PARTNER     | 温岭市阳光社会工作服务中心 (a social organization in 温岭市) |
 * | wenling-civil-affairs | zhulian-demo-department | PARTNER   | 温岭市民政局 (a department: its joint-handling tasks) |
 */
import { hashPassword } from "../../src/auth/passwords";
import type { SqlRunner } from "../../src/db/sql-runner";
import { loadDemoAlerts } from "./alerts";
import { BULK_CHUNK, bulkInsert, type BulkColumn } from "./bulk";
import { DEMO_FIGURES, generateDemoRows, type DemoLandmarks, type DemoRows, type HouseholdMembers } from "./generate";
import { loadJointHandling } from "./joint";
import { loadStandards } from "./standards";

export { DEMO_FIGURES };
export type { DemoLandmarks };

/** The seed `npm run seed` and start-up use unless told otherwise. */
export const DEMO_SEED = 20250630;

export interface DemoAccount {
  username: string;
  password: string;
  role: "ADMIN" | "COORDINATOR" | "PARTNER";
  /** What the account may see, for the start-up banner. */
  scope: string;
}

/** The demo's sign-in accounts; their passwords are public, for the demo only. */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { username: "demo-admin", password: "zhulian-demo-admin", role: "ADMIN", scope: "台州市 (everything)" },
  { username: "wenling-coordinator", password: "zhulian-demo-wenling", role: "COORDINATOR", scope: "温岭市" },
  { username: "taiping-coordinator", password: "zhulian-demo-taiping", role: "COORDINATOR", scope: "温岭市 太平街道" },
  { username: "wenling-partner", password: "zhulian-demo-partner", role: "PARTNER", scope: "温岭市阳光社会工作服务中心" },
  { username: "wenling-civil-affairs", password: "zhulian-demo-department", role: "PARTNER", scope: "温岭市民政局 (department)" },
];

/** The demo accounts as a few lines of text, for start-up and `npm run seed`. */
export function formatDemoAccounts(accounts: readonly DemoAccount[] = DEMO_ACCOUNTS): string {
  return (
    "Demo accounts (demo data only; these passwords are public):\n" +
    accounts.map((a) => `  ${a.username.padEnd(22)} ${a.password.padEnd(24)} ${a.role.padEnd(12)} ${a.scope}\n`).join("")
  );
}

const col = (name: string, type: string): BulkColumn => ({ name, type });

/** Voided records (corrections) keep who voided them, when and why. */
const VOID_COLUMNS = [col("voided_at", "timestamptz"), col("voided_by_id", "uuid"), col("void_reason", "text")];

/** Each table's columns, in the order of the generated rows; tables in the order they are loaded. */
export const TABLE_COLUMNS: Record<keyof DemoRows | "household_member" | "household_member_change" | "account", BulkColumn[]> = {
  alliance: [col("id", "uuid"), col("name", "text"), col("level", '"AllianceLevel"'), col("region_code", "text"), col("operating_status", '"OperatingStatus"'), col("parent_id", "uuid"), col("path", "text"), col("created_at", "timestamptz"), col("closed_through", "date")],
  organization: [col("id", "uuid"), col("name", "text"), col("kind", '"OrganizationKind"'), col("credit_code", "text"), col("service_categories", '"ServiceCategory"[]'), col("created_at", "timestamptz")],
  alliance_membership: [col("organization_id", "uuid"), col("alliance_id", "uuid"), col("joined_at", "timestamptz")],
  household: [col("id", "uuid"), col("alliance_id", "uuid"), col("category", '"AssistanceCategory"'), col("head_name", "text"), col("id_number", "text"), col("size", "int"), col("created_at", "timestamptz"), col("recognized_on", "date"), col("status", '"HouseholdStatus"'), col("exited_on", "date"), col("exit_reason", '"ExitReason"')],
  household_category_change: [col("id", "uuid"), col("household_id", "uuid"), col("kind", '"HouseholdChangeKind"'), col("category", '"AssistanceCategory"'), col("effective_on", "date"), col("reason", "text"), col("exit_reason", '"ExitReason"'), col("recorded_by_id", "uuid"), col("recorded_at", "timestamptz")],
  household_member: [col("id", "uuid"), col("household_id", "uuid"), col("name", "text"), col("birth_date", "date"), col("joined_on", "date"), col("left_on", "date")],
  household_member_change: [col("id", "uuid"), col("household_id", "uuid"), col("member_id", "uuid"), col("kind", '"MemberChangeKind"'), col("effective_on", "date"), col("reason", "text"), col("recorded_by_id", "uuid"), col("recorded_at", "timestamptz")],
  service_project: [col("id", "uuid"), col("name", "text"), col("alliance_id", "uuid"), col("category", '"ServiceCategory"'), col("status", '"ProjectStatus"'), col("lead_organization_id", "uuid"), col("start_date", "date"), col("end_date", "date"), col("budget", "numeric"), col("created_at", "timestamptz")],
  project_partner: [col("project_id", "uuid"), col("organization_id", "uuid")],
  welfare_lottery_grant: [col("id", "uuid"), col("code", "text"), col("level", '"GrantLevel"'), col("year", "int"), col("alliance_id", "uuid"), col("amount", "numeric"), col("allocated", "numeric"), col("created_at", "timestamptz")],
  funding: [col("id", "uuid"), col("project_id", "uuid"), col("source", '"FundingSource"'), col("amount", "numeric"), col("received_on", "date"), col("grant_id", "uuid"), col("note", "text"), col("created_at", "timestamptz"), ...VOID_COLUMNS],
  visit: [col("id", "uuid"), col("household_id", "uuid"), col("visited_on", "date"), col("organization_id", "uuid"), col("happiness_list_delivered", "bool"), col("note", "text"), col("created_at", "timestamptz"), ...VOID_COLUMNS],
  service_request: [col("id", "uuid"), col("alliance_id", "uuid"), col("household_id", "uuid"), col("visit_id", "uuid"), col("category", '"ServiceCategory"'), col("urgency", '"Urgency"'), col("title", "text"), col("description", "text"), col("status", '"RequestStatus"'), col("created_at", "timestamptz"), col("claimed_by_id", "uuid"), col("claimed_at", "timestamptz"), col("fulfilled_at", "timestamptz"), col("cancelled_at", "timestamptz"), col("cancel_reason", "text"), col("raised_by_account_id", "uuid"), col("raised_by_organization_id", "uuid")],
  service_record: [col("id", "uuid"), col("project_id", "uuid"), col("household_id", "uuid"), col("organization_id", "uuid"), col("served_on", "date"), col("service_request_id", "uuid"), col("note", "text"), col("created_at", "timestamptz"), ...VOID_COLUMNS],
  household_assignment: [col("id", "uuid"), col("household_id", "uuid"), col("organization_id", "uuid"), col("from_date", "date"), col("to_date", "date"), col("assigned_by_id", "uuid"), col("ended_by_id", "uuid"), col("created_at", "timestamptz")],
  reporting_close: [col("id", "uuid"), col("alliance_id", "uuid"), col("through", "date"), col("closed_by_id", "uuid"), col("closed_at", "timestamptz")],
  account: [col("id", "uuid"), col("username", "text"), col("password_hash", "text"), col("role", '"Role"'), col("alliance_id", "uuid"), col("organization_id", "uuid"), col("created_at", "timestamptz")],
};

export interface DemoProgress {
  /** The table being written. */
  table: string;
  /** Rows written so far, all tables together. */
  done: number;
  /** Rows to write in all. */
  total: number;
}

export interface LoadDemoOptions {
  /** The random seed (default DEMO_SEED): the same seed gives the same dataset. */
  seed?: number;
  onProgress?: (progress: DemoProgress) => void;
}

export interface LoadDemoResult {
  /** False when the database already had alliances: nothing was written. */
  loaded: boolean;
  /** Rows written per table. */
  rows: Record<string, number>;
  landmarks?: DemoLandmarks;
}

/** Any fixed number: the lock that keeps two instances from loading the dataset twice. */
const SEED_LOCK = 11_124_000;

/** The demo dataset in memory (rows per table and the landmark ids), without touching a database. */
export function generateDemoDataset(seed = DEMO_SEED): { rows: DemoRows; members: HouseholdMembers; landmarks: DemoLandmarks } {
  return generateDemoRows(seed);
}

/**
 * Loads the demo dataset into an empty database (migrated) in one transaction, with bulk
 * inserts of 10,000 rows per statement. Instances starting together take turns on an advisory
 * lock; when the database already has alliances it writes nothing and returns `loaded: false`.
 * Demo accounts whose usernames exist already are left as they are.
 */
export async function loadDemoDataset(sql: SqlRunner, options: LoadDemoOptions = {}): Promise<LoadDemoResult> {
  const seed = options.seed ?? DEMO_SEED;
  await sql.exec("BEGIN");
  try {
    await sql.query("SELECT pg_advisory_xact_lock($1)", [SEED_LOCK]);
    const [{ count }] = await sql.query<{ count: number }>("SELECT count(*)::int AS count FROM alliance");
    if (count > 0) {
      await sql.exec("ROLLBACK");
      return { loaded: false, rows: {} };
    }
    const { rows, members, landmarks } = generateDemoDataset(seed);
    const accounts = await accountRows(seed, landmarks);
    const memberChanges = members.changes();
    const counts: Record<string, number> = {};
    for (const [table, tableRows] of Object.entries(rows)) {
      counts[table] = tableRows.length;
      if (table === "household_category_change") {
        counts.household_member = members.total;
        counts.household_member_change = memberChanges.length;
      }
    }
    counts.account = accounts.length;
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    let done = 0;
    const progress = (table: string) => (n: number) => {
      done += n;
      options.onProgress?.({ table, done, total });
    };
    options.onProgress?.({ table: "alliance", done, total });
    await skipForeignKeyChecks(sql);
    for (const [table, tableRows] of Object.entries(rows) as [keyof DemoRows, unknown[][]][]) {
      await bulkInsert(sql, table, TABLE_COLUMNS[table], tableRows, progress(table));
      if (table === "household_category_change") {
        for (const chunk of members.chunks(BULK_CHUNK - 8)) {
          await bulkInsert(sql, "household_member", TABLE_COLUMNS.household_member, chunk, progress("household_member"));
        }
        await bulkInsert(sql, "household_member_change", TABLE_COLUMNS.household_member_change, memberChanges, progress("household_member_change"));
        // The derived spans of every household (household_state), from its history: by the
        // database's own function, so that they mean exactly what later changes will write.
        await sql.exec("ANALYZE household, household_category_change, household_member");
        // (About 5 s on PGlite and 2.5 s on PostgreSQL for the ~99,000 households.)
        await sql.query("SELECT refresh_household_state(array_agg(id)) FROM household");
        Object.assign(counts, await loadStandards(sql, seed, landmarks));
      }
    }
    Object.assign(counts, await loadJointHandling(sql, seed));
    await bulkInsertAccounts(sql, accounts);
    progress("account")(accounts.length);
    await loadDemoAlerts(sql, landmarks.wenlingId);
    await sql.exec("COMMIT");
    await sql.exec("ANALYZE");
    return { loaded: true, rows: counts, landmarks };
  } catch (error) {
    await sql.exec("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/**
 * Foreign-key triggers double the cost of a bulk load on PGlite. The generated rows reference
 * only rows generated before them (the demo-dataset test checks it), so for this transaction
 * only they are skipped where the role may do so (a superuser, as PGlite's is); elsewhere they run.
 */
async function skipForeignKeyChecks(sql: SqlRunner): Promise<void> {
  await sql.exec("SAVEPOINT replication_role");
  try {
    await sql.exec("SET LOCAL session_replication_role = replica");
    await sql.exec("RELEASE SAVEPOINT replication_role");
  } catch {
    await sql.exec("ROLLBACK TO SAVEPOINT replication_role");
  }
}

async function accountRows(seed: number, landmarks: DemoLandmarks): Promise<unknown[][]> {
  const where: Record<string, [string | null, string | null]> = {
    "demo-admin": [null, null],
    "wenling-coordinator": [landmarks.wenlingId, null],
    "taiping-coordinator": [landmarks.taipingId, null],
    "wenling-partner": [null, landmarks.wenlingPartnerOrganizationId],
    "wenling-civil-affairs": [null, landmarks.wenlingCivilAffairsOrganizationId],
  };
  const created = new Date(Date.UTC(2025, 0, 1, 1)).toISOString();
  return Promise.all(
    DEMO_ACCOUNTS.map(async (account) => {
      const [allianceId, organizationId] = where[account.username];
      return [landmarks.accountIds[account.username], account.username, await hashPassword(account.password), account.role, allianceId, organizationId, created];
    }),
  );
}

async function bulkInsertAccounts(sql: SqlRunner, rows: unknown[][]): Promise<void> {
  const columns = TABLE_COLUMNS.account;
  const params = columns.map((_, i) => rows.map((row) => row[i]));
  await sql.query(
    `INSERT INTO account (id, username, password_hash, role, alliance_id, organization_id, created_at)
     SELECT u.id, u.username, u.password_hash, u.role::"Role", u.alliance_id, u.organization_id, u.created_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::uuid[], $7::timestamptz[])
         AS u(id, username, password_hash, role, alliance_id, organization_id, created_at)
     ON CONFLICT (username) DO NOTHING`,
    params,
  );
}

