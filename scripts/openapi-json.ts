import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBrokerConfig } from '../apps/broker/src/config/load-broker-config';
import { createBrokerApp } from '../apps/broker/src/create-broker-app';
import { buildOpenApiDocument } from '../apps/broker/src/openapi/openapi-document';

/** The OpenAPI document as stable JSON, from an app built on a throwaway config (nothing listens). */
export async function openApiJson(): Promise<string> {
  const callers = join(mkdtempSync(join(tmpdir(), 'broker-openapi-')), 'callers.json');
  writeFileSync(callers, '[]');
  const config = loadBrokerConfig({
    PROOF_CLIENT_ID: 'openapi',
    PROOF_CLIENT_SECRET: 'openapi',
    PROOF_BASE_URL: 'http://127.0.0.1:9',
    BROKER_CALLERS_FILE: callers,
  });
  const app = await createBrokerApp(config, { logs: 'silent' });
  try {
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
