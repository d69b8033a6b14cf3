import "reflect-metadata";
import fs from "node:fs";
import { printSchema, lexicographicSortSchema } from "graphql";
import { buildAppSchema, schemaFile } from "./schema";

/** Writes the SDL the code produces to schema/schema.graphql (`npm run schema:emit`). */
export async function emittedSdl(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildAppSchema()))}\n`;
}

if (require.main === module) {
  emittedSdl()
    .then((sdl) => {
      fs.writeFileSync(schemaFile, sdl);
      process.stdout.write(`Wrote ${schemaFile}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).stack}\n`);
      process.exit(1);
    });
}
