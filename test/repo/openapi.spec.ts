import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiJson } from '../../scripts/openapi-json';

describe('openapi.json', () => {
  it('is up to date with the code (run `npm run openapi` to regenerate)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8');
    const current = await openApiJson();
    expect(current).toBe(committed);
  });

  it('documents GET /token, GET /token/info and the probes, with the caller-key scheme', async () => {
    const document = JSON.parse(await openApiJson()) as {
      paths: Record<string, unknown>;
      components: { securitySchemes: object };
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/token', '/token/info', '/health/live', '/health/ready', '/metrics']),
    );
    expect(document.components.securitySchemes).toHaveProperty('caller-key');
  });
});
