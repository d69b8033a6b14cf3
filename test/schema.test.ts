import fs from "node:fs";
import path from "node:path";
import { CriticalityLevel, diff } from "@graphql-inspector/core";
import { buildSchema } from "graphql";
import { projectRoot } from "../src/common/paths";
import { emittedSdl } from "../src/schema-emit";
import { schemaFile } from "../src/schema";

/** The API contract, kept beside the project (shared/contract in CI). */
const contractFile = path.resolve(projectRoot, "../shared/contract/schema.graphql");

/** A clone of the repository alone has no ../shared: the contract check is skipped, and says so. */
const contractPresent = fs.existsSync(contractFile);
const withContract = contractPresent ? test : test.skip;
if (!contractPresent) {
  process.stdout.write(`schema.test.ts: contract check SKIPPED: ${contractFile} is not beside this checkout\n`);
}

let sdl: string;

beforeAll(async () => {
  sdl = await emittedSdl();
});

test("schema/schema.graphql is the SDL the code builds (run `npm run schema:emit` after a schema change)", () => {
  expect(fs.readFileSync(schemaFile, "utf8")).toBe(sdl);
});

withContract(`the schema keeps every type, field and argument of the contract, with compatible types${contractPresent ? "" : " (skipped: no ../shared/contract beside this checkout)"}`, async () => {
  const contract = buildSchema(fs.readFileSync(contractFile, "utf8"));
  const changes = await diff(contract, buildSchema(sdl));
  const breaking = changes
    .filter((change) => change.criticality.level === CriticalityLevel.Breaking)
    .map((change) => `${change.path ?? ""}: ${change.message}`);
  // On failure the list names each difference from the contract still to resolve.
  expect(breaking).toEqual([]);
});

test("the schema adds an optional idempotencyKey to every create input the contract has", () => {
  const schema = buildSchema(sdl);
  for (const name of ["CreateAllianceInput", "CreateOrganizationInput"]) {
    const type = schema.getType(name);
    const field = type && "getFields" in type ? (type.getFields() as Record<string, { type: unknown }>).idempotencyKey : undefined;
    expect(`${name}.idempotencyKey: ${String(field?.type)}`).toBe(`${name}.idempotencyKey: String`);
  }
});
