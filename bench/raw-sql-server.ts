/**
 * The raw-SQL limit of `npm run bench`: a bare node:http server that answers each API
 * scenario with one hand-written, prepared statement through `pg` (a pool of 10), PostgreSQL
 * building the JSON body, the same rows as the GraphQL server's `{ data }`.
 *
 *   DATABASE_URL=postgresql://… PORT=4100 node dist/bench/raw-sql-server.js
 *
 * It trusts its URL instead of a token: the viewer's account and organization come as query
 * parameters. The partner feed applies the same scope, masking and grounds as the server and
 * writes the same personal-data access rows, in the same statement.
 */
import http from "node:http";
import pg from "pg";
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
const STATEMENTS: Record<string, { text: string; values: (url: URL) => unknown[] }> = {
  "/service-requests/admin": {
    text: `
      WITH p AS (
        SELECT sr.id, sr.title, sr.category, sr.urgency, sr.created_at, sr.alliance_id, sr.household_id
          FROM service_request sr WHERE sr.status = 'OPEN'
         ORDER BY sr.created_at DESC, sr.id DESC LIMIT $1)
      SELECT ${FEED_BODY(FEED_NODE("h.head_name"))} AS body
        FROM p JOIN alliance a ON a.id = p.alliance_id LEFT JOIN household h ON h.id = p.household_id`,
    values: (url) => [Number(url.searchParams.get("first") ?? 50)],
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
                    FROM (SELECT name, region_code, id FROM alliance WHERE parent_id = t.id ORDER BY region_code, id LIMIT $1) v))
              ) ORDER BY t.region_code, t.id), '[]'::json)
                FROM (SELECT name, region_code, id FROM alliance WHERE parent_id = k.id ORDER BY region_code, id LIMIT $1) t))
          ) ORDER BY k.region_code, k.id), '[]'::json)
            FROM (SELECT name, region_code, id FROM alliance WHERE parent_id = c.id ORDER BY region_code, id LIMIT $1) k))
      ) ORDER BY c.region_code), '[]'::json)))::text AS body
        FROM alliance c WHERE c.parent_id IS NULL`,
    values: (url) => [Number(url.searchParams.get("first") ?? 20)],
  },
  "/projects": {
    text: `
      WITH p AS (
        SELECT id, name, status, start_date, budget, lead_organization_id
          FROM service_project ORDER BY start_date DESC, id DESC LIMIT $1)
      SELECT json_build_object('data', json_build_object('projects', json_build_object('nodes', COALESCE(json_agg(json_build_object(
        'id', p.id, 'name', p.name, 'status', p.status, 'startDate', p.start_date::text, 'budget', round(p.budget, 2)::text,
        'leadOrganization', json_build_object('name', o.name),
        'fundings', (
          SELECT COALESCE(json_agg(json_build_object('source', f.source, 'amount', round(f.amount, 2)::text, 'receivedOn', f.received_on::text)
                   ORDER BY f.received_on, f.created_at, f.id), '[]'::json)
            FROM (SELECT source, amount, received_on, created_at, id FROM funding WHERE project_id = p.id
                   ORDER BY received_on, created_at, id LIMIT 100) f)
      ) ORDER BY p.start_date DESC, p.id DESC), '[]'::json))))::text AS body
        FROM p JOIN organization o ON o.id = p.lead_organization_id`,
    values: (url) => [Number(url.searchParams.get("first") ?? 50)],
  },
  "/stats": {
    text: `
      WITH root AS (SELECT id, path, level FROM alliance WHERE id = $1::uuid),
      within AS (SELECT a.id, a.level, a.operating_status FROM alliance a, root WHERE a.path LIKE root.path || '%'),
      population AS (
        SELECT h.category, sum(h.size)::int AS persons FROM household h
         WHERE h.alliance_id IN (SELECT id FROM within) GROUP BY h.category),
      active AS (
        SELECT p.id, p.lead_organization_id FROM service_project p
         WHERE p.alliance_id IN (SELECT id FROM within) AND p.status <> 'CANCELLED'
           AND p.start_date <= $3::date AND (p.end_date IS NULL OR p.end_date >= $2::date)),
      taking_part AS (
        SELECT lead_organization_id AS organization_id FROM active
        UNION SELECT pp.organization_id FROM active JOIN project_partner pp ON pp.project_id = active.id),
      organizations AS (
        SELECT count(*) FILTER (WHERE o.kind = 'GOVERNMENT_DEPARTMENT')::int AS departments,
               count(*) FILTER (WHERE o.kind = 'SOCIAL_ORGANIZATION')::int AS social_organizations
          FROM taking_part t JOIN organization o ON o.id = t.organization_id),
      money AS (
        SELECT f.source, sum(f.amount) AS amount FROM funding f JOIN service_project p ON p.id = f.project_id
         WHERE p.alliance_id IN (SELECT id FROM within) AND f.received_on BETWEEN $2::date AND $3::date GROUP BY f.source),
      served AS (
        SELECT count(*)::int AS records, count(DISTINCT r.household_id)::int AS households
          FROM service_record r JOIN household h ON h.id = r.household_id
         WHERE h.alliance_id IN (SELECT id FROM within) AND r.served_on BETWEEN $2::date AND $3::date),
      visited AS (
        SELECT count(*)::int AS visits, count(*) FILTER (WHERE v.happiness_list_delivered)::int AS happiness_lists
          FROM visit v JOIN household h ON h.id = v.household_id
         WHERE h.alliance_id IN (SELECT id FROM within) AND v.visited_on BETWEEN $2::date AND $3::date),
      levels AS (
        SELECT l.level, l.n, count(w.id)::int AS total, count(w.id) FILTER (WHERE w.operating_status = 'STANDARD')::int AS standard
          FROM unnest(enum_range(NULL::"AllianceLevel")) WITH ORDINALITY AS l(level, n)
          LEFT JOIN within w ON w.level = l.level
         WHERE l.n >= (SELECT array_position(enum_range(NULL::"AllianceLevel"), level) FROM root)
         GROUP BY l.level, l.n),
      persons AS (
        SELECT COALESCE(sum(persons) FILTER (WHERE category = 'DIBAO'), 0)::int AS dibao,
               COALESCE(sum(persons) FILTER (WHERE category = 'DIBAO_MARGINAL'), 0)::int AS dibao_marginal,
               COALESCE(sum(persons) FILTER (WHERE category = 'EXTREME_POVERTY'), 0)::int AS extreme_poverty,
               COALESCE(sum(persons) FILTER (WHERE category = 'OTHER_MONITORED'), 0)::int AS other_monitored
          FROM population)
      SELECT json_build_object('data', json_build_object('stats', json_build_object(
        'lowIncomePopulation', json_build_object(
          'total', persons.dibao + persons.dibao_marginal + persons.extreme_poverty, 'dibao', persons.dibao,
          'dibaoMarginal', persons.dibao_marginal, 'extremePoverty', persons.extreme_poverty, 'otherMonitored', persons.other_monitored),
        'projectCount', (SELECT count(*)::int FROM active),
        'fundingTotal', round((SELECT COALESCE(sum(amount), 0) FROM money), 2)::text,
        'fundingBySource', (
          SELECT json_agg(json_build_object('source', s.source, 'amount', round(COALESCE(m.amount, 0), 2)::text) ORDER BY s.n)
            FROM unnest(enum_range(NULL::"FundingSource")) WITH ORDINALITY AS s(source, n) LEFT JOIN money m ON m.source = s.source),
        'linkedDepartments', organizations.departments,
        'participatingSocialOrganizations', organizations.social_organizations,
        'householdTimesServed', served.records,
        'householdsServed', served.households,
        'visitHouseholdTimes', visited.visits,
        'happinessListsDelivered', visited.happiness_lists,
        'alliancesByLevel', (SELECT json_agg(json_build_object('level', level, 'total', total, 'standard', standard) ORDER BY n) FROM levels),
        'standardOperationRate', (SELECT COALESCE(sum(standard)::float8 / NULLIF(sum(total), 0)::float8, 0) FROM levels),
        'openServiceRequests', (SELECT count(*)::int FROM service_request q WHERE q.alliance_id IN (SELECT id FROM within) AND q.status = 'OPEN')
      )))::text AS body
        FROM persons, organizations, served, visited`,
    values: (url) => [url.searchParams.get("alliance"), url.searchParams.get("from"), url.searchParams.get("to")],
  },
};

/** Starts the raw-SQL server on `port` against `databaseUrl`; resolves with the port it listens on and a close function. */
export async function startRawSqlServer(databaseUrl: string, port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://raw");
    const statement = STATEMENTS[url.pathname];
    if (!statement) {
      response.writeHead(404).end();
      return;
    }
    request.resume();
    request.on("end", () => {
      pool.query<{ body: string }>({ name: url.pathname, text: statement.text, values: statement.values(url) }).then(
        (result) => {
          const body = result.rows[0]?.body ?? "null";
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
