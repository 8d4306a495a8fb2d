// `npm run openapi` writes docs/openapi.json; `npm run openapi -- --check` fails when it is out of date.
import fs from 'node:fs';
import { generateOpenApi, OPENAPI_FILE } from './openapi-document.js';

const document = await generateOpenApi();
if (process.argv.includes('--check')) {
  const committed = fs.existsSync(OPENAPI_FILE) ? fs.readFileSync(OPENAPI_FILE, 'utf8') : '';
  if (committed !== document) {
    process.stderr.write(`${OPENAPI_FILE} is out of date: run \`npm run openapi\` and commit the result\n`);
    process.exit(1);
  }
  process.stdout.write(`${OPENAPI_FILE} is up to date\n`);
} else {
  fs.writeFileSync(OPENAPI_FILE, document);
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}
