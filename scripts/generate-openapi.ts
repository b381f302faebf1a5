import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiJson } from './openapi-json';

/** `npm run openapi`: rewrites the committed openapi.json (a test fails while it is stale). */
openApiJson()
  .then((json) => {
    writeFileSync(join(__dirname, '..', '..', 'openapi.json'), json);
    process.stdout.write('openapi.json written\n');
    process.exit(0);
  })
  .catch((error: unknown) => {
    process.stderr.write(`openapi generation failed: ${String(error)}\n`);
    process.exit(1);
  });
