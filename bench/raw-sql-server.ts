/**
 * The raw-SQL limit of `npm run bench`: a bare node:http server that answers each API scenario
 * with the fastest plain code we could write for it, through `pg` (a pool of 10): one indexed,
 * prepared statement whose single row is the JSON body, built by PostgreSQL — the same rows as
 * the GraphQL server's `{ data }`. City stats are the exception: their figures aggregate whole
 * tables (every household, service record and visit of the city), so the subtree's path is
 * looked up first and four aggregate statements then run at once on four connections, planned
 * with the actual path prefix, their rows combined here (see `stats`).
 *
 *   DATABASE_URL=postgresql://… PORT=4100 node dist/bench/raw-sql-server.js   (PORT=0: any free port)
 *
 * It trusts its URL instead of a token: the viewer's account and organization come as query
 * parameters. The partner feed applies the same scope, masking and grounds as the server and
 * writes the same personal-data access rows, in the same statement.
 */
import http from "node:http";
import pg from "pg";
import { AllianceLevel, FundingSource } from "../src/common/enum-values";
import { COMPOUND_SURNAMES } from "../src/modules/household/masking";

const CHINA_TODAY = `((now() AT TIME ZONE 'UTC') + interval '8 hours')::date`;
const ISO_TIME = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const FEED_NODE = (headName: string) => `json_build_object(
  'id', p.id, 'title', p.title, 'category', p.category, 'urgency', p.urgency,
  'createdAt', to_char(p.created_at AT TIME ZONE 'UTC', ${ISO_TIME}),
  'alliance', json_build_object('name', a.name),
  'household', CASE WHEN p.household_id IS NULL THEN NULL ELSE json_build_object('headName', ${headName}) END)`;
const FEED_BODY = (nodes: string) =>
  `json_build_object('data', json_build_object('serviceRequests', json_build_object('nodes', COALESCE(json_agg(${nodes} ORDER BY p.created_at DESC, p.id DESC), '[]'::json))))::text`;

/** The prepared statements, by scenario: name, text and how a request's URL becomes their values. */
export const STATEMENTS: Record<string, { text: string; values: (url: URL) => unknown[] }> = {
  // An ADMIN reads head names unmasked, so (as the server does) each read is added to the
  // personal-data access record, in the same statement.
  "/service-requests/admin": {
    text: `
      WITH p AS (
        SELECT sr.id, sr.title, sr.category, sr.urgency, sr.created_at, sr.alliance_id, sr.household_id
          FROM service_request sr WHERE sr.status = 'OPEN'
         ORDER BY sr.created_at DESC, sr.id DESC LIMIT $1),
      recorded AS (
        INSERT INTO personal_data_access (account_id, household_id, day, ground, first_at, last_at, count)
        SELECT DISTINCT $2::uuid, p.household_id, ${CHINA_TODAY}, 'ADMIN'::"AccessGround", now(), now(), 1
          FROM p WHERE p.household_id IS NOT NULL
        ON CONFLICT (account_id, household_id, day) DO UPDATE
          SET first_at = LEAST(personal_data_access.first_at, EXCLUDED.first_at),
              last_at = GREATEST(personal_data_access.last_at, EXCLUDED.last_at),
              ground = EXCLUDED.ground,
              count = personal_data_access.count + EXCLUDED.count)
      SELECT ${FEED_BODY(FEED_NODE("h.head_name"))} AS body
        FROM p JOIN alliance a ON a.id = p.alliance_id LEFT JOIN household h ON h.id = p.household_id`,
    values: (url) => [Number(url.searchParams.get("first") ?? 50), url.searchParams.get("account")],
  },
  "/service-requests/partner": {
    text: `
      WITH scoped AS (
        SELECT s.id FROM alliance s
         WHERE s.path LIKE ANY (ARRAY(
           SELECT m_a.path || '%' FROM alliance_membership m JOIN alliance m_a ON m_a.id = m.alliance_id
            WHERE m.organization_id = $1::uuid))),
      p AS (
        SELECT sr.id, sr.title, sr.category, sr.urgency, sr.created_at, sr.alliance_id, sr.household_id
          FROM service_request sr
         WHERE sr.status = 'OPEN' AND (sr.alliance_id IN (SELECT id FROM scoped) OR sr.claimed_by_id = $1::uuid)
         ORDER BY sr.created_at DESC, sr.id DESC LIMIT $3),
      g AS (
        SELECT h.id, h.head_name,
               CASE WHEN EXISTS (
                      SELECT 1 FROM household_assignment ha
                       WHERE ha.household_id = h.id AND ha.organization_id = $1::uuid
                         AND ha.from_date <= ${CHINA_TODAY} AND (ha.to_date IS NULL OR ha.to_date >= ${CHINA_TODAY}))
                    THEN 'ASSIGNED'
                    WHEN EXISTS (
                      SELECT 1 FROM service_request r
                       WHERE r.household_id = h.id AND r.status = 'CLAIMED' AND r.claimed_by_id = $1::uuid
                         AND r.raised_by_organization_id IS DISTINCT FROM $1::uuid)
                    THEN 'CLAIMED'
               END AS ground
          FROM household h WHERE h.id IN (SELECT household_id FROM p)),
      recorded AS (
        INSERT INTO personal_data_access (account_id, household_id, day, ground, first_at, last_at, count)
        SELECT $2::uuid, g.id, ${CHINA_TODAY}, g.ground::"AccessGround", now(), now(), 1 FROM g WHERE g.ground IS NOT NULL
        ON CONFLICT (account_id, household_id, day) DO UPDATE
          SET first_at = LEAST(personal_data_access.first_at, EXCLUDED.first_at),
              last_at = GREATEST(personal_data_access.last_at, EXCLUDED.last_at),
              ground = EXCLUDED.ground,
              count = personal_data_access.count + EXCLUDED.count)
      SELECT ${FEED_BODY(
        FEED_NODE(`CASE WHEN g.ground IS NOT NULL THEN g.head_name
          ELSE CASE WHEN char_length(btrim(g.head_name)) > 2 AND left(btrim(g.head_name), 2) = ANY($4::text[])
                    THEN left(btrim(g.head_name), 2) ELSE left(btrim(g.head_name), 1) END || '**' END`),
      )} AS body
        FROM p JOIN alliance a ON a.id = p.alliance_id LEFT JOIN g ON g.id = p.household_id`,
    values: (url) => [url.searchParams.get("organization"), url.searchParams.get("account"), Number(url.searchParams.get("first") ?? 50), [...COMPOUND_SURNAMES]],
  },
  "/alliance-tree": {
    // Each level's children come from the parent_id index, sorted and cut in a subquery behind an
    // OFFSET 0 fence: without it the generic plan of this prepared statement (used from the sixth
    // execution on) guesses LIMIT $1 keeps one row and walks the region_code index instead,
    // reading the whole table once per parent (30 ms instead of 4).
    text: `
      SELECT json_build_object('data', json_build_object('allianceRoots', COALESCE(json_agg(json_build_object(
        'name', c.name,
        'children', json_build_object('nodes', (
          SELECT COALESCE(json_agg(json_build_object(
            'name', k.name,
            'children', json_build_object('nodes', (
              SELECT COALESCE(json_agg(json_build_object(
                'name', t.name,
                'children', json_build_object('nodes', (
                  SELECT COALESCE(json_agg(json_build_object('name', v.name) ORDER BY v.region_code, v.id), '[]'::json)
                    FROM (SELECT * FROM (SELECT name, region_code, id FROM alliance WHERE parent_id = t.id OFFSET 0) v
                           ORDER BY region_code, id LIMIT $1) v))
              ) ORDER BY t.region_code, t.id), '[]'::json)
                FROM (SELECT * FROM (SELECT name, region_code, id FROM alliance WHERE parent_id = k.id OFFSET 0) t
                       ORDER BY region_code, id LIMIT $1) t))
          ) ORDER BY k.region_code, k.id), '[]'::json)
            FROM (SELECT * FROM (SELECT name, region_code, id FROM alliance WHERE parent_id = c.id OFFSET 0) k
                   ORDER BY region_code, id LIMIT $1) k))
      ) ORDER BY c.region_code), '[]'::json)))::text AS body
        FROM alliance c WHERE c.parent_id IS NULL`,
    values: (url) => [Number(url.searchParams.get("first") ?? 20)],
  },
  "/projects": {
    // The page's fundings are read once (funding_project_id_idx) and grouped per project, rather
    // than one correlated subquery per project.
    text: `
      WITH p AS (
        SELECT id, name, status, start_date, budget, lead_organization_id
          FROM service_project ORDER BY start_date DESC, id DESC LIMIT $1),
      f AS (
        SELECT project_id, json_agg(json_build_object('source', source, 'amount', round(amount, 2)::text, 'receivedOn', received_on::text)
                 ORDER BY received_on, created_at, id) AS fundings
          FROM (SELECT f.project_id, f.source, f.amount, f.received_on, f.created_at, f.id,
                       row_number() OVER (PARTITION BY f.project_id ORDER BY f.received_on, f.created_at, f.id) AS rn
                  FROM funding f WHERE f.project_id IN (SELECT id FROM p)) f
         WHERE rn <= 100 GROUP BY project_id)
      SELECT json_build_object('data', json_build_object('projects', json_build_object('nodes', COALESCE(json_agg(json_build_object(
        'id', p.id, 'name', p.name, 'status', p.status, 'startDate', p.start_date::text, 'budget', round(p.budget, 2)::text,
        'leadOrganization', json_build_object('name', o.name),
        'fundings', COALESCE(f.fundings, '[]'::json)
      ) ORDER BY p.start_date DESC, p.id DESC), '[]'::json))))::text AS body
        FROM p JOIN organization o ON o.id = p.lead_organization_id LEFT JOIN f ON f.project_id = p.id`,
    values: (url) => [Number(url.searchParams.get("first") ?? 50)],
  },
};

/**
 * City stats: the subtree's path first (one indexed lookup by primary key), then four aggregate
 * statements at once on four connections of the pool, combined here. They are sent unnamed, so
 * PostgreSQL plans each with the actual path prefix: it then knows `path LIKE '<path>%'` holds
 * for the whole table under the city and hash-joins the large tables, where a generic plan of a
 * named statement (or a prefix computed inside the statement) guesses a handful of alliances
 * and walks the household index once per alliance (600 ms or more per statement).
 */
const STATS_ROOT = `SELECT path, level::text AS level FROM alliance WHERE id = $1::uuid`;
const STATS_POPULATION = `
  SELECT s.category::text AS category, sum(s.persons)::int AS persons
    FROM household_state s
   WHERE s.alliance_id IN (SELECT id FROM alliance WHERE path LIKE $1)
     AND s.valid_from <= $2::date AND (s.valid_to IS NULL OR s.valid_to > $2::date) AND s.category IS NOT NULL
   GROUP BY s.category`;
const STATS_SERVED = `
  SELECT COALESCE(sum(s.records), 0)::int AS records, count(*)::int AS households
    FROM (SELECT r.household_id, count(*) AS records FROM service_record r
           WHERE r.served_on BETWEEN $2::date AND $3::date AND r.voided_at IS NULL GROUP BY r.household_id) s
    JOIN household h ON h.id = s.household_id
   WHERE h.alliance_id IN (SELECT id FROM alliance WHERE path LIKE $1)`;
const STATS_VISITED = `
  SELECT count(*)::int AS visits, count(*) FILTER (WHERE v.happiness_list_delivered)::int AS happiness_lists
    FROM visit v JOIN household h ON h.id = v.household_id
   WHERE h.alliance_id IN (SELECT id FROM alliance WHERE path LIKE $1)
     AND v.visited_on BETWEEN $2::date AND $3::date AND v.voided_at IS NULL`;
const STATS_SMALL = `
  WITH within AS (SELECT id, level, operating_status FROM alliance WHERE path LIKE $1),
  active AS (
    SELECT p.id, p.lead_organization_id FROM service_project p
     WHERE p.alliance_id IN (SELECT id FROM within) AND p.status <> 'CANCELLED'
       AND p.start_date <= $3::date AND (p.end_date IS NULL OR p.end_date >= $2::date)),
  taking_part AS (
    SELECT lead_organization_id AS organization_id FROM active
    UNION SELECT pp.organization_id FROM active JOIN project_partner pp ON pp.project_id = active.id)
  SELECT
    (SELECT json_object_agg(level, json_build_array(total, standard)) FROM (
       SELECT level::text AS level, count(*)::int AS total, count(*) FILTER (WHERE operating_status = 'STANDARD')::int AS standard
         FROM within GROUP BY level) l) AS levels,
    (SELECT count(*)::int FROM active) AS projects,
    (SELECT json_build_array(count(*) FILTER (WHERE o.kind = 'GOVERNMENT_DEPARTMENT'), count(*) FILTER (WHERE o.kind = 'SOCIAL_ORGANIZATION'))
       FROM taking_part t JOIN organization o ON o.id = t.organization_id) AS organizations,
    (SELECT json_object_agg(COALESCE(source, 'TOTAL'), amount) FROM (
       SELECT f.source::text AS source, round(sum(f.amount), 2)::text AS amount
         FROM funding f JOIN service_project p ON p.id = f.project_id
        WHERE p.alliance_id IN (SELECT id FROM within) AND f.received_on BETWEEN $2::date AND $3::date AND f.voided_at IS NULL
        GROUP BY ROLLUP (f.source)) m) AS money,
    (SELECT count(*)::int FROM service_request q WHERE q.alliance_id IN (SELECT id FROM within) AND q.status = 'OPEN') AS open`;

const LEVELS = Object.values(AllianceLevel) as string[];
const SOURCES = Object.values(FundingSource) as string[];

async function stats(pool: pg.Pool, url: URL): Promise<string> {
  const id = url.searchParams.get("alliance");
  const from = url.searchParams.get("from");
  const to = url.searchParams.get("to");
  const root = (await pool.query<{ path: string; level: string }>({ name: "stats-root", text: STATS_ROOT, values: [id] })).rows[0];
  if (!root) return JSON.stringify({ data: null });
  const prefix = `${root.path.replace(/[\\%_]/g, "\\$&")}%`;
  const [population, served, visited, small] = await Promise.all([
    pool.query<{ category: string; persons: number }>(STATS_POPULATION, [prefix, to]),
    pool.query<{ records: number; households: number }>(STATS_SERVED, [prefix, from, to]),
    pool.query<{ visits: number; happiness_lists: number }>(STATS_VISITED, [prefix, from, to]),
    pool.query<{
      levels: Record<string, [number, number]> | null;
      projects: number;
      organizations: [number, number];
      money: Record<string, string> | null;
      open: number;
    }>(STATS_SMALL, [prefix, from, to]),
  ]);
  const persons = (category: string) => population.rows.find((row) => row.category === category)?.persons ?? 0;
  const { levels, projects, organizations, money, open } = small.rows[0];
  const byLevel = LEVELS.slice(Math.max(0, LEVELS.indexOf(root.level))).map((level) => ({
    level,
    total: levels?.[level]?.[0] ?? 0,
    standard: levels?.[level]?.[1] ?? 0,
  }));
  const allianceTotal = byLevel.reduce((sum, l) => sum + l.total, 0);
  const standardTotal = byLevel.reduce((sum, l) => sum + l.standard, 0);
  const dibao = persons("DIBAO");
  const dibaoMarginal = persons("DIBAO_MARGINAL");
  const extremePoverty = persons("EXTREME_POVERTY");
  return JSON.stringify({
    data: {
      stats: {
        lowIncomePopulation: { total: dibao + dibaoMarginal + extremePoverty, dibao, dibaoMarginal, extremePoverty, otherMonitored: persons("OTHER_MONITORED") },
        projectCount: projects,
        fundingTotal: money?.TOTAL ?? "0.00",
        fundingBySource: SOURCES.map((source) => ({ source, amount: money?.[source] ?? "0.00" })),
        linkedDepartments: organizations[0],
        participatingSocialOrganizations: organizations[1],
        householdTimesServed: served.rows[0].records,
        householdsServed: served.rows[0].households,
        visitHouseholdTimes: visited.rows[0].visits,
        happinessListsDelivered: visited.rows[0].happiness_lists,
        alliancesByLevel: byLevel,
        standardOperationRate: allianceTotal === 0 ? 0 : standardTotal / allianceTotal,
        openServiceRequests: open,
      },
    },
  });
}

/** How each path is answered: one prepared statement whose single row is the body, or code. */
const HANDLERS: Record<string, (pool: pg.Pool, url: URL) => Promise<string>> = {
  ...Object.fromEntries(
    Object.entries(STATEMENTS).map(([path, statement]) => [
      path,
      async (pool: pg.Pool, url: URL) =>
        (await pool.query<{ body: string }>({ name: path, text: statement.text, values: statement.values(url) })).rows[0]?.body ?? "null",
    ]),
  ),
  "/stats": stats,
};

/** Starts the raw-SQL server on `port` against `databaseUrl`; resolves with the port it listens on and a close function. */
export async function startRawSqlServer(databaseUrl: string, port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://raw");
    const handler = HANDLERS[url.pathname];
    if (!handler) {
      response.writeHead(404).end();
      return;
    }
    request.resume();
    request.on("end", () => {
      handler(pool, url).then(
        (body) => {
          response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
        },
        (error: Error) => {
          response.writeHead(500, { "content-type": "text/plain" }).end(error.message);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}

if (require.main === module) {
  startRawSqlServer(process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres", Number(process.env.PORT ?? 4100)).then(
    ({ port, close }) => {
      process.stdout.write(`listening ${port}\n`);
      process.on("SIGTERM", () => void close().then(() => process.exit(0)));
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
