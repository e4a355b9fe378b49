// Runs the graphql-http audit suite (GraphQL over HTTP spec conformance)
// against a GraphQL endpoint and prints one JSON object per audit:
//   {"id": "...", "name": "MUST ...", "status": "ok|warn|error|notice", "reason": "..."}
// status "error" is a failed MUST. Usage: node audit.mjs http://127.0.0.1:8080/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
for (const r of results) {
  const line = { id: r.id, name: r.name, status: r.status };
  if (r.status !== 'ok') {
    line.reason = r.reason;
  }
  console.log(JSON.stringify(line));
}
