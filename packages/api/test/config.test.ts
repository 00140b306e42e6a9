import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import {
  ConfigError,
  configSchema,
  docsEnabled,
  loadConfig,
  withFileSecrets,
} from '../src/config.js';
import { generateProductionSecrets } from '../src/node/secrets.js';
import { generatePhiEnv } from '../src/phi/index.js';
import { generateSigningKey } from '../src/tokens/signing-keys.js';

const OTHER = '0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0';
const SIGNING_KEY = await generateSigningKey('sgk_config_a');
const SIGNING_KEYS = JSON.stringify({ keys: [SIGNING_KEY] });

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('configuration', () => {
  it('needs nothing in development', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('lists every problem at once', () => {
    const found = problems({ PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    expect(found.map((p) => p.split(':')[0])).toEqual(['PORT', 'DATABASE_URL', 'LOG_LEVEL']);
  });

  it('refuses to start in production without secrets or with weak ones', () => {
    const found = problems({ NODE_ENV: 'production', TAHOON_CREDENTIAL_KEY: 'abcd1234' });
    expect(found.join('\n')).toMatch(/TAHOON_CREDENTIAL_KEY: must encode at least 32 random bytes/);
    expect(found.join('\n')).toMatch(/TAHOON_TOKEN_SIGNING_KEYS: is required in production/);
    expect(found.join('\n')).toMatch(/DATABASE_URL: is required in production/);
    expect(found.join('\n')).toMatch(/TAHOON_PHI_KEYS: is required in production/);
  });

  it('refuses sample and low-entropy secrets of the right length', () => {
    const sample = 'changeme'.repeat(8);
    const repeated = 'ab'.repeat(32);
    expect(problems({ TAHOON_CREDENTIAL_KEY: sample }).join()).toMatch(/sample value/);
    expect(problems({ TAHOON_CREDENTIAL_KEY: repeated }).join()).toMatch(/not random enough/);
  });

  it('starts in production with strong secrets and PostgreSQL', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      TAHOON_TOKEN_SIGNING_KEYS: SIGNING_KEYS,
      TAHOON_CREDENTIAL_KEY: OTHER,
      DATABASE_URL: 'postgres://tahoon@db:5432/tahoon',
      ...generatePhiEnv('prod-1'),
    });
    expect(config.NODE_ENV).toBe('production');
    expect(config.TAHOON_TOKEN_SIGNING_KEYS).toEqual([SIGNING_KEY]);
  });

  it('takes signing keys as a JWK set or an array, the first one first', async () => {
    const newer = await generateSigningKey('sgk_config_b');
    const asArray = loadConfig({ TAHOON_TOKEN_SIGNING_KEYS: JSON.stringify([newer, SIGNING_KEY]) });
    expect(asArray.TAHOON_TOKEN_SIGNING_KEYS?.map((k) => k.kid)).toEqual([
      'sgk_config_b',
      'sgk_config_a',
    ]);
  });

  it('refuses signing keys that are not JSON, public only, of another curve or with one kid twice', () => {
    const { d: _d, ...publicOnly } = SIGNING_KEY;
    const cases: [string, RegExp][] = [
      ['not json', /TAHOON_TOKEN_SIGNING_KEYS: must be a JSON JWK set/],
      [JSON.stringify({ keys: [] }), /must hold at least one key/],
      [JSON.stringify([publicOnly]), /TAHOON_TOKEN_SIGNING_KEYS\.keys\.0\.d/],
      [JSON.stringify([{ ...SIGNING_KEY, crv: 'X25519' }]), /keys\.0\.crv/],
      [JSON.stringify([SIGNING_KEY, SIGNING_KEY]), /key ids \(kid\) must be unique/],
    ];
    for (const [value, expected] of cases) {
      expect(problems({ TAHOON_TOKEN_SIGNING_KEYS: value }).join('\n')).toMatch(expected);
    }
  });

  it('refuses half a VideoSDK configuration', () => {
    expect(problems({ VIDEOSDK_API_KEY: 'key' })).toEqual([
      'VIDEOSDK_SECRET: VideoSDK needs both its key and secret',
    ]);
  });
});

describe('secrets mounted as files', () => {
  const files: Record<string, string> = {
    '/run/secrets/signing-keys': `${SIGNING_KEYS}\n`,
    '/run/secrets/credential': OTHER,
  };
  const read = async (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error('ENOENT');
    return text;
  };

  it('reads NAME_FILE into NAME, trimmed', async () => {
    const env = await withFileSecrets(
      {
        TAHOON_TOKEN_SIGNING_KEYS_FILE: '/run/secrets/signing-keys',
        TAHOON_CREDENTIAL_KEY_FILE: '/run/secrets/credential',
      },
      read,
    );
    expect(env.TAHOON_TOKEN_SIGNING_KEYS).toBe(SIGNING_KEYS);
    expect(loadConfig(env).TAHOON_TOKEN_SIGNING_KEYS).toEqual([SIGNING_KEY]);
    expect(loadConfig(env).TAHOON_CREDENTIAL_KEY).toBe(OTHER);
  });

  it('refuses both NAME and NAME_FILE, and a file it cannot read', async () => {
    const error = await withFileSecrets(
      {
        TAHOON_TOKEN_SIGNING_KEYS: SIGNING_KEYS,
        TAHOON_TOKEN_SIGNING_KEYS_FILE: '/run/secrets/signing-keys',
        TAHOON_CREDENTIAL_KEY_FILE: '/run/secrets/missing',
      },
      read,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'TAHOON_TOKEN_SIGNING_KEYS: set either TAHOON_TOKEN_SIGNING_KEYS or TAHOON_TOKEN_SIGNING_KEYS_FILE, not both',
      'TAHOON_CREDENTIAL_KEY_FILE: cannot read the file it names',
    ]);
  });

  it('keeps the docs off in production unless asked', () => {
    expect(docsEnabled({ NODE_ENV: 'production', TAHOON_DOCS: undefined })).toBe(false);
    expect(docsEnabled({ NODE_ENV: 'production', TAHOON_DOCS: 'on' })).toBe(true);
    expect(docsEnabled({ NODE_ENV: 'development', TAHOON_DOCS: undefined })).toBe(true);
  });
});

describe('the configuration reference', () => {
  const root = new URL('../../../', import.meta.url);
  const variables = Object.keys(configSchema.shape);

  it('documents every variable in .env.example and the README', async () => {
    const example = await readFile(new URL('.env.example', root), 'utf8');
    const readme = await readFile(new URL('README.md', root), 'utf8');
    const documented = new Set(
      [...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1] ?? ''),
    );
    expect(variables.filter((name) => !documented.has(name))).toEqual([]);
    expect(
      variables.filter(
        (name) =>
          !readme.includes(name.replace(/^TAHOON_DISPATCHER_/, '…_')) && !readme.includes(name),
      ),
    ).toEqual([]);
    // Nothing documented that the gateway does not read.
    const phi = ['TAHOON_PHI_KEYS', 'TAHOON_PHI_ACTIVE_KEY', 'TAHOON_PHI_INDEX_KEY'];
    expect(
      [...documented].filter((name) => !variables.includes(name) && !phi.includes(name)),
    ).toEqual([]);
  });
});

describe('tahoon secrets generate', () => {
  it('makes secrets a production deployment starts with, every time', async () => {
    // Each run draws new random values; a weak-looking draw would make a deployment fail to boot.
    for (let i = 0; i < 50; i++) {
      const env = { ...(await generateProductionSecrets()), NODE_ENV: 'production' };
      expect(() =>
        loadConfig({ ...env, DATABASE_URL: 'postgres://tahoon@db:5432/t' }),
      ).not.toThrow();
    }
    const first = await generateProductionSecrets();
    const second = await generateProductionSecrets();
    expect(first.TAHOON_CREDENTIAL_KEY).not.toBe(second.TAHOON_CREDENTIAL_KEY);
    const config = loadConfig({
      ...first,
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://tahoon@db.internal:5432/tahoon',
    });
    expect(config.TAHOON_TOKEN_SIGNING_KEYS).toHaveLength(1);
    expect(config.TAHOON_OPERATOR_TOKEN).toBe(first.TAHOON_OPERATOR_TOKEN);
  });
});
