/**
 * Service-request lists at 100,000 requests: times the service calls behind `serviceRequests`,
 * `Alliance.serviceRequests` and `suggestedOrganizations`, and EXPLAINs the list statements to
 * show which index each one uses. Embedded (PGlite in memory) by default; with DATABASE_URL, a
 * fresh PostgreSQL database that is dropped afterwards.
 *
 *   npm run build && node dist/bench/service-requests.js [requests=100000] [iterations=30]
 *
 * Prints a table and writes bench/results/service-requests-<mode>-<timestamp>.json.
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openApp, closeApp } from "../src/app";
import type { Viewer } from "../src/auth";
import { createLogger } from "../src/common/logger";
import { encodeCursor, type PageArgs } from "../src/common/pagination";
import { projectRoot } from "../src/common/paths";
import { loadConfig } from "../src/config";
import { createScratchDatabase } from "../src/db/scratch-database";
import type { App } from "../src/context";
import { Prisma } from "../src/generated/prisma/client";
import { ServiceRequestService } from "../src/modules/service-request";
import type { ServiceRequestFilter } from "../src/modules/service-request/service-request.inputs";

const REQUESTS = Number(process.argv[2] ?? 100_000);
const ITERATIONS = Number(process.argv[3] ?? 30);
const COUNTIES = 10;
const TOWNSHIPS_PER_COUNTY = 10;
const VILLAGES_PER_TOWNSHIP = 10;
const ORGANIZATIONS = 300;
const CATEGORIES = ["PRECISION_ASSISTANCE", "PSYCHOLOGICAL_SUPPORT", "SKILLS_TRAINING", "COMMUNITY_INTEGRATION", "EMPLOYMENT", "MINOR_CARE", "ELDERLY_CARE", "MEDICAL_SUPPORT", "OTHER"];

interface Node {
  id: string;
  path: string;
  code: string;
}

interface Tree {
  city: Node;
  counties: Node[];
  townships: Node[];
  villages: Node[];
}


function buildTree(): Tree {
  const node = (code: string, parent?: Node): Node => {
    const id = randomUUID();
    return { id, code, path: `${parent?.path ?? "/"}${id}/` };
  };
  const city = node("331000");
  const counties: Node[] = [];
  const townships: Node[] = [];
  const villages: Node[] = [];
  for (let c = 1; c <= COUNTIES; c += 1) {
    const county = node(`3310${String(c).padStart(2, "0")}`, city);
    counties.push(county);
    for (let t = 1; t <= TOWNSHIPS_PER_COUNTY; t += 1) {
      const township = node(`${county.code}${String(t).padStart(3, "0")}`, county);
      townships.push(township);
      for (let v = 1; v <= VILLAGES_PER_TOWNSHIP; v += 1) villages.push(node(`${township.code}${String(v).padStart(3, "0")}`, township));
    }
  }
  return { city, counties, townships, villages };
}

async function seed(app: App, tree: Tree): Promise<string[]> {
  const rows = [
    [tree.city, "CITY", null],
    ...tree.counties.map((n) => [n, "COUNTY", tree.city.id]),
    ...tree.townships.map((n, i) => [n, "TOWNSHIP", tree.counties[Math.floor(i / TOWNSHIPS_PER_COUNTY)].id]),
    ...tree.villages.map((n, i) => [n, "VILLAGE", tree.townships[Math.floor(i / VILLAGES_PER_TOWNSHIP)].id]),
  ] as [Node, string, string | null][];
  const organizations = Array.from({ length: ORGANIZATIONS }, () => randomUUID());
  await app.deps.db.withConnection(async (sql) => {
    await sql.exec(
      `INSERT INTO alliance (id, name, level, region_code, parent_id, path) VALUES ${rows
        .map(([n, level, parent]) => `('${n.id}', 'A${n.code}', '${level}', '${n.code}', ${parent ? `'${parent}'` : "NULL"}, '${n.path}')`)
        .join(",")}`,
    );
    await sql.exec(
      `INSERT INTO organization (id, name, kind, service_categories) VALUES ${organizations
        .map((id, i) => `('${id}', 'Org ${String(i).padStart(3, "0")}', '${i % 10 === 0 ? "GOVERNMENT_DEPARTMENT" : "SOCIAL_ORGANIZATION"}',
            ARRAY['${CATEGORIES[i % 9]}', '${CATEGORIES[(i + 3) % 9]}', '${CATEGORIES[(i + 6) % 9]}']::"ServiceCategory"[])`)
        .join(",")}`,
    );
    // Each organization joins one township and one village; the first one a township of each of two counties.
    const memberships = organizations.flatMap((id, i) => [
      `('${id}', '${tree.townships[i % tree.townships.length].id}')`,
      `('${id}', '${tree.villages[(i * 7) % tree.villages.length].id}')`,
    ]);
    memberships.push(`('${organizations[0]}', '${tree.townships[TOWNSHIPS_PER_COUNTY].id}')`);
    await sql.exec(`INSERT INTO alliance_membership (organization_id, alliance_id) VALUES ${memberships.join(",")}`);
    await sql.exec(`
      CREATE TEMP TABLE bench_village AS
        SELECT id, (row_number() OVER (ORDER BY region_code) - 1)::int AS n FROM alliance WHERE level = 'VILLAGE';
      CREATE TEMP TABLE bench_org AS
        SELECT id, (row_number() OVER (ORDER BY name) - 1)::int AS n FROM organization;
      INSERT INTO service_request (alliance_id, category, urgency, title, status, created_at, claimed_by_id, claimed_at)
      SELECT v.id,
             (enum_range(NULL::"ServiceCategory"))[1 + g % 9],
             (enum_range(NULL::"Urgency"))[1 + (g * 7) % 4],
             'need ' || g,
             (ARRAY['OPEN','OPEN','OPEN','OPEN','OPEN','CLAIMED','CLAIMED','FULFILLED','FULFILLED','CANCELLED'])[1 + g % 10]::"RequestStatus",
             timestamptz '2025-01-01 00:00:00+08' + (g * interval '5 minutes'),
             CASE WHEN g % 10 IN (5, 6, 7, 8) THEN o.id END,
             CASE WHEN g % 10 IN (5, 6, 7, 8) THEN timestamptz '2025-01-01 00:00:00+08' + (g * interval '5 minutes') + interval '1 hour' END
        FROM generate_series(1, ${REQUESTS}) g
        JOIN bench_village v ON v.n = (g * 37) % ${tree.villages.length}
        JOIN bench_org o ON o.n = g % ${ORGANIZATIONS};
      ANALYZE;`);
  });
  return organizations;
}

function viewer(role: Viewer["role"], fields: Partial<Viewer> = {}): Viewer {
  return { accountId: randomUUID(), role, allianceId: null, organizationId: null, requestId: randomUUID(), ...fields };
}

interface Scenario {
  name: string;
  run: () => Promise<unknown>;
  /** The list statements, to EXPLAIN. */
  statements?: () => Promise<{ page: Prisma.Sql; count: Prisma.Sql }>;
}

interface Result {
  scenario: string;
  medianMs: number;
  p95Ms: number;
  rows: number | string;
  pageIndexes?: string;
  pagePlanMs?: number;
  countPlanMs?: number;
}

async function explain(app: App, statement: Prisma.Sql): Promise<{ indexes: string[]; ms: number; plan: string }> {
  const rows = await app.prisma.$queryRaw<Record<string, string>[]>(Prisma.sql`EXPLAIN (ANALYZE) ${statement}`);
  const plan = rows.map((row) => Object.values(row)[0]).join("\n");
  const indexes = [...new Set([...plan.matchAll(/Index(?: Only)? Scan(?: Backward)? using (\S+)/g)].map((m) => m[1]))];
  const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN);
  return { indexes, ms, plan };
}

async function time(run: () => Promise<unknown>): Promise<{ median: number; p95: number; last: unknown }> {
  let last: unknown;
  for (let i = 0; i < 3; i += 1) last = await run();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i += 1) {
    const started = process.hrtime.bigint();
    last = await run();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { median: round(at(0.5)), p95: round(at(0.95)), last };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function main() {
  const base = process.env.DATABASE_URL;
  const postgres = base ? await createScratchDatabase(base, "zl_bench") : null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-bench-"));
  const config = loadConfig({
    DATA_DIR: dataDir,
    JWT_SECRET: "bench-secret-bench-secret-bench-secret-01",
    SEED: "none",
    LOG_LEVEL: "silent",
    ...(postgres ? { DATABASE_URL: postgres.url } : {}),
  });
  const app = await openApp(config, createLogger("silent"), { inMemory: !postgres });
  try {
    const tree = buildTree();
    const seeding = Date.now();
    const organizations = await seed(app, tree);
    console.log(`seeded ${REQUESTS} requests in ${tree.villages.length} villages in ${Date.now() - seeding} ms (${postgres ? "PostgreSQL" : "PGlite"})`);

    const service = app.get(ServiceRequestService);
    const admin = viewer("ADMIN");
    const county = viewer("COORDINATOR", { allianceId: tree.counties[0].id });
    const township = viewer("COORDINATOR", { allianceId: tree.townships[3].id });
    const partner = viewer("PARTNER", { organizationId: organizations[0] });
    const deep = await app.prisma.serviceRequest.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], skip: 2000, take: 1 });
    const deepCursor = encodeCursor([deep[0].createdAt, deep[0].id]);
    const day = new Date("2025-03-01T00:00:00+08:00");
    const sampleIds = (await app.prisma.serviceRequest.findMany({ take: 20, where: { status: "OPEN" }, select: { id: true } })).map((r) => r.id);

    const list = (v: Viewer, filter: Partial<ServiceRequestFilter> | null, page: PageArgs = { first: 20 }): Scenario => ({
      name: "",
      run: () => service.list(v, filter as ServiceRequestFilter, page),
      statements: () => service.listStatements(v, filter as ServiceRequestFilter, page),
    });
    const scenarios: Scenario[] = [
      { ...list(admin, null), name: "ADMIN: first page, no filter" },
      { ...list(admin, null, { first: 20, after: deepCursor }), name: "ADMIN: page after 2,000 rows (cursor)" },
      { ...list(admin, { status: ["OPEN"], category: ["ELDERLY_CARE"] }), name: "ADMIN: OPEN + ELDERLY_CARE" },
      { ...list(admin, { urgency: ["URGENT"], createdFrom: day, createdTo: new Date(day.getTime() + 86_400_000) }), name: "ADMIN: URGENT, one day" },
      { ...list(county, null), name: "COORDINATOR (county): first page" },
      { ...list(township, { status: ["OPEN"] }), name: "COORDINATOR (township): OPEN" },
      { ...list(admin, { allianceId: tree.villages[5].id }), name: "ADMIN: one village (filter)" },
      { ...list(partner, null), name: "PARTNER (3 memberships): first page" },
      {
        name: "Alliance.serviceRequests: 10 counties, 1 statement",
        run: () => service.subtreeConnections(admin, tree.counties.map((c) => c.path), null, { first: 10 }),
      },
      {
        name: "Alliance.serviceRequests: the city",
        run: () => service.subtreeConnections(admin, [tree.city.path], null, { first: 20 }),
      },
      { name: "suggestedOrganizations: 20 requests", run: () => service.suggestedOrganizationIds(sampleIds, 5) },
    ];

    const results: Result[] = [];
    const plans: Record<string, { page: string; count: string }> = {};
    for (const scenario of scenarios) {
      const { median, p95, last } = await time(scenario.run);
      const result: Result = {
        scenario: scenario.name,
        medianMs: median,
        p95Ms: p95,
        rows: Array.isArray(last)
          ? last.map((x) => (x as { totalCount?: number; length?: number }).totalCount ?? (x as unknown[]).length).join("/").slice(0, 40)
          : (last as { totalCount: number }).totalCount,
      };
      if (scenario.statements) {
        const statements = await scenario.statements();
        const page = await explain(app, statements.page);
        const count = await explain(app, statements.count);
        result.pageIndexes = page.indexes.join(", ") || "(none: sequential scan)";
        result.pagePlanMs = page.ms;
        result.countPlanMs = count.ms;
        plans[scenario.name] = { page: page.plan, count: count.plan };
      }
      results.push(result);
    }
    console.table(results);

    const resultsDir = path.join(projectRoot, "bench/results");
    fs.mkdirSync(resultsDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const file = path.join(resultsDir, `service-requests-${postgres ? "postgres" : "pglite"}-${stamp}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          benchmark: "service-requests",
          database: postgres ? "postgresql" : "pglite",
          requests: REQUESTS,
          alliances: 1 + tree.counties.length + tree.townships.length + tree.villages.length,
          organizations: ORGANIZATIONS,
          iterations: ITERATIONS,
          node: process.version,
          at: new Date().toISOString(),
          results,
          plans,
        },
        null,
        2,
      ),
    );
    console.log(`results: ${path.relative(projectRoot, file)}`);
  } finally {
    await closeApp(app);
    await postgres?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
