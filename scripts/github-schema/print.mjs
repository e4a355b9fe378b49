// Re-prints GitHub's published GraphQL schema (npm @octokit/graphql-schema) through graphql-js so
// that Go's gqlparser can load it: the raw file defines a few fields twice (for instance
// EnterpriseOwnerInfo.repositoryDeployKeySetting in 15.26.1), which gqlparser refuses and
// graphql-js merges. Usage: node print.mjs OUTPUT
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { buildSchema, printSchema } from "graphql";

const out = process.argv[2];
if (!out) {
  console.error("usage: node print.mjs OUTPUT");
  process.exit(2);
}

// The package exports only its index (which also parses the 10 MB schema.json); read the files beside it.
const index = import.meta.resolve("@octokit/graphql-schema");
const pkg = JSON.parse(readFileSync(new URL("./package.json", index), "utf8"));
const sdl = readFileSync(new URL("./schema.graphql", index), "utf8");
const printed = printSchema(buildSchema(sdl, { assumeValidSDL: true }));

// Write to a temporary name and rename, so an interrupted run leaves no half schema behind.
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.tmp-${process.pid}`;
writeFileSync(tmp, `# GitHub GraphQL schema from @octokit/graphql-schema ${pkg.version}, re-printed by scripts/github-schema/print.mjs.\n${printed}\n`);
renameSync(tmp, out);
console.error(`wrote ${out} (@octokit/graphql-schema ${pkg.version})`);
