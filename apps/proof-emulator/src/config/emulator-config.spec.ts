import { parseEmulatorConfig } from './emulator-config';
import { resolveEmulatorConfig } from './emulator-options';

describe('parseEmulatorConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(parseEmulatorConfig({})).toEqual({
      port: 4010,
      host: '127.0.0.1',
      clients: [{ uid: 'demo-client', secrets: ['demo-secret'], scopes: ['read', 'write'] }],
      tokenTtlSeconds: 7200,
      tokenPolicy: 'new',
      enforceContentType: true,
      admin: false,
    });
  });

  it('reads every variable', () => {
    const config = parseEmulatorConfig({
      EMULATOR_PORT: '5000',
      EMULATOR_HOST: '0.0.0.0',
      EMULATOR_CLIENTS: 'app-uid:secret1|secret2, other-uid:secret',
      EMULATOR_TOKEN_TTL_SECONDS: '3',
      EMULATOR_TOKEN_POLICY: 'revoke-previous',
      EMULATOR_ENFORCE_CONTENT_TYPE: 'false',
      EMULATOR_ADMIN: 'ON',
    });
    expect(config).toEqual({
      port: 5000,
      host: '0.0.0.0',
      clients: [
        { uid: 'app-uid', secrets: ['secret1', 'secret2'], scopes: ['read', 'write'] },
        { uid: 'other-uid', secrets: ['secret'], scopes: ['read', 'write'] },
      ],
      tokenTtlSeconds: 3,
      tokenPolicy: 'revoke-previous',
      enforceContentType: false,
      admin: true,
    });
  });

  it.each([
    ['on', true],
    ['1', true],
    ['true', true],
    ['off', false],
    ['0', false],
    ['false', false],
  ])('reads the flag %s as %s', (value, expected) => {
    expect(parseEmulatorConfig({ EMULATOR_ADMIN: value }).admin).toBe(expected);
    expect(parseEmulatorConfig({ EMULATOR_ENFORCE_CONTENT_TYPE: value }).enforceContentType).toBe(expected);
  });

  it('lists every problem in one error', () => {
    let message = '';
    try {
      parseEmulatorConfig({
        EMULATOR_PORT: '70000',
        EMULATOR_CLIENTS: 'good:s,:orphan,nosecret,good:again,empty:a||b',
        EMULATOR_TOKEN_TTL_SECONDS: '-1',
        EMULATOR_TOKEN_POLICY: 'bogus',
        EMULATOR_ENFORCE_CONTENT_TYPE: 'maybe',
        EMULATOR_ADMIN: 'yes please',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n').slice(1);
    expect(lines).toEqual([
      '  - EMULATOR_PORT must be an integer from 0 to 65535, got "70000"',
      '  - EMULATOR_TOKEN_TTL_SECONDS must be an integer from 1 to 315360000, got "-1"',
      '  - EMULATOR_TOKEN_POLICY must be one of new|reuse|revoke-previous, got "bogus"',
      '  - EMULATOR_CLIENTS: entry 2 has no client uid (expected uid:secret1|secret2)',
      '  - EMULATOR_CLIENTS: client "nosecret" needs one or more non-empty secrets (expected uid:secret1|secret2)',
      '  - EMULATOR_CLIENTS: client "good" is listed twice',
      '  - EMULATOR_CLIENTS: client "empty" needs one or more non-empty secrets (expected uid:secret1|secret2)',
      '  - EMULATOR_ENFORCE_CONTENT_TYPE must be one of on/off/true/false/1/0, got "maybe"',
      '  - EMULATOR_ADMIN must be one of on/off/true/false/1/0, got "yes please"',
    ]);
  });

  it.each(['1.5', 'abc', '0', ' '])('refuses the TTL "%s" unless blank', (ttl) => {
    if (ttl.trim() === '') expect(parseEmulatorConfig({ EMULATOR_TOKEN_TTL_SECONDS: ttl }).tokenTtlSeconds).toBe(7200);
    else expect(() => parseEmulatorConfig({ EMULATOR_TOKEN_TTL_SECONDS: ttl })).toThrow(/EMULATOR_TOKEN_TTL_SECONDS/);
  });
});

describe('resolveEmulatorConfig (startEmulator options)', () => {
  it('defaults to an OS-chosen port and takes clients as objects or as the env syntax', () => {
    expect(resolveEmulatorConfig({}).port).toBe(0);
    expect(resolveEmulatorConfig({ clients: 'a:x|y' }).clients).toEqual([
      { uid: 'a', secrets: ['x', 'y'], scopes: ['read', 'write'] },
    ]);
    expect(resolveEmulatorConfig({ clients: [{ uid: 'b', secrets: ['z'], scopes: ['read'] }] }).clients).toEqual([
      { uid: 'b', secrets: ['z'], scopes: ['read'] },
    ]);
  });

  it('validates options with the same rules as the environment', () => {
    expect(() => resolveEmulatorConfig({ tokenTtlSeconds: 1.5, port: -1 })).toThrow(
      /EMULATOR_PORT[\s\S]*EMULATOR_TOKEN_TTL_SECONDS/,
    );
    expect(() => resolveEmulatorConfig({ clients: [{ uid: 'a', secrets: [] }] })).toThrow(/non-empty secrets/);
    expect(() => resolveEmulatorConfig({ clients: [] })).toThrow(/clients/);
  });
});
