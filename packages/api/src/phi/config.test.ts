import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { encodeBase64Url } from './base64url.js';
import { loadPhiKeyRing, phiEnvShape, readPhiKeyMaterial, refinePhiEnv } from './config.js';
import { PhiConfigError } from './errors.js';
import { createPhiKeyRing, generatePhiEnv, generatePhiKey } from './keys.js';

const KEY_A = generatePhiKey();
const KEY_B = generatePhiKey();
const INDEX = generatePhiKey();

const validEnv = (extra: Record<string, string> = {}) => ({
  TAHOON_PHI_KEYS: `a:${KEY_A},b:${KEY_B}`,
  TAHOON_PHI_ACTIVE_KEY: 'b',
  TAHOON_PHI_INDEX_KEY: INDEX,
  ...extra,
});

function problems(env: Record<string, string>): string[] {
  try {
    readPhiKeyMaterial(env);
    return [];
  } catch (error) {
    if (error instanceof PhiConfigError) return [...error.problems];
    throw error;
  }
}

const port = z.coerce.number<string>().int().max(65_535);

const keyText = (bytes: number[]) => encodeBase64Url(Uint8Array.from(bytes));

describe('PHI key configuration', () => {
  it('reads every listed key and the active one', () => {
    const material = readPhiKeyMaterial(validEnv());

    expect(material?.keys.map((key) => key.id)).toEqual(['a', 'b']);
    expect(material?.keys.every((key) => key.bytes.length === 32)).toBe(true);
    expect(material?.activeKeyId).toBe('b');
    expect(material?.indexKey.length).toBe(32);
  });

  it('accepts standard base64 and blanks around separators', () => {
    const standard = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const env = validEnv({
      TAHOON_PHI_KEYS: ` a : ${KEY_A} , b:${standard} `,
      TAHOON_PHI_ACTIVE_KEY: ' b ',
    });
    expect(readPhiKeyMaterial(env)?.activeKeyId).toBe('b');
  });

  it('needs nothing outside production and everything in production', () => {
    expect(readPhiKeyMaterial({})).toBeNull();
    expect(readPhiKeyMaterial({ NODE_ENV: 'development' })).toBeNull();
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'TAHOON_PHI_KEYS: is required in production',
      'TAHOON_PHI_ACTIVE_KEY: is required in production',
      'TAHOON_PHI_INDEX_KEY: is required in production',
    ]);
  });

  it('refuses half a configuration', () => {
    expect(problems({ TAHOON_PHI_KEYS: `a:${KEY_A}` })).toEqual([
      'TAHOON_PHI_ACTIVE_KEY: is required when any TAHOON_PHI_* setting is given',
      'TAHOON_PHI_INDEX_KEY: is required when any TAHOON_PHI_* setting is given',
    ]);
  });

  it('refuses short, long and non-base64 keys, naming the variable and the key id', () => {
    const short = keyText([...crypto.getRandomValues(new Uint8Array(16))]);
    const long = keyText([...crypto.getRandomValues(new Uint8Array(33))]);
    const found = problems(validEnv({ TAHOON_PHI_KEYS: `a:${short},b:${KEY_B},c:${long},d:k*y` }));
    expect(found).toEqual([
      'TAHOON_PHI_KEYS: key a must decode to exactly 32 bytes (got 16)',
      'TAHOON_PHI_KEYS: key c must decode to exactly 32 bytes (got 33)',
      'TAHOON_PHI_KEYS: key d is not base64 or base64url',
    ]);
  });

  it('refuses weak keys of the right length', () => {
    const zeros = keyText(Array.from({ length: 32 }, () => 0));
    const pattern = keyText(Array.from({ length: 32 }, (_, i) => i % 8));
    const typed = btoa('correct horse battery staple!!!!');
    const found = problems(
      validEnv({ TAHOON_PHI_KEYS: `a:${zeros},b:${KEY_B},c:${pattern},d:${typed}` }),
    );
    expect(found).toEqual([
      'TAHOON_PHI_KEYS: key a is not random enough',
      'TAHOON_PHI_KEYS: key c is not random enough',
      'TAHOON_PHI_KEYS: key d is not random enough',
    ]);
    expect(problems(validEnv({ TAHOON_PHI_INDEX_KEY: zeros }))).toEqual([
      'TAHOON_PHI_INDEX_KEY: is not random enough',
    ]);
  });

  it('refuses malformed lists: no separator, blanks, bad or repeated ids, reused keys', () => {
    const found = problems(
      validEnv({
        TAHOON_PHI_KEYS: `${KEY_A},,b:${KEY_B},b.1:${KEY_A},b:${generatePhiKey()},c:${KEY_B}`,
      }),
    );
    expect(found).toEqual([
      'TAHOON_PHI_KEYS: entry 1 must be keyId:base64key',
      'TAHOON_PHI_KEYS: entry 2 is empty',
      'TAHOON_PHI_KEYS: entry 4 key id must be 1–32 letters, digits, "-" or "_"',
      'TAHOON_PHI_KEYS: key id b appears twice',
      'TAHOON_PHI_KEYS: key c repeats key b',
    ]);
    expect(problems(validEnv({ TAHOON_PHI_KEYS: ' , ' }))).toContain(
      'TAHOON_PHI_KEYS: must list at least one keyId:base64key',
    );
  });

  it('refuses an active key that is not listed or not a key id', () => {
    expect(problems(validEnv({ TAHOON_PHI_ACTIVE_KEY: 'c' }))).toEqual([
      'TAHOON_PHI_ACTIVE_KEY: names no key in TAHOON_PHI_KEYS',
    ]);
    expect(problems(validEnv({ TAHOON_PHI_ACTIVE_KEY: 'a,b' }))).toEqual([
      'TAHOON_PHI_ACTIVE_KEY: must be 1–32 letters, digits, "-" or "_"',
    ]);
  });

  it('refuses an index key that is also an encryption key', () => {
    expect(problems(validEnv({ TAHOON_PHI_INDEX_KEY: KEY_A }))).toEqual([
      'TAHOON_PHI_INDEX_KEY: must differ from every key in TAHOON_PHI_KEYS',
    ]);
  });

  it('never echoes key text in a problem', () => {
    const short = keyText([...crypto.getRandomValues(new Uint8Array(20))]);
    const env = validEnv({ TAHOON_PHI_KEYS: `a:${short},${KEY_B}`, TAHOON_PHI_INDEX_KEY: KEY_A });
    const text = problems(env).join('\n');
    expect(text).not.toBe('');
    for (const secret of [short, KEY_A, KEY_B]) expect(text).not.toContain(secret);
  });

  it('composes into a larger configuration schema', () => {
    const schema = z
      .object({ NODE_ENV: z.enum(['production', 'development']), PORT: port, ...phiEnvShape })
      .superRefine(refinePhiEnv);
    const parsed = schema.safeParse({
      NODE_ENV: 'production',
      PORT: '99999',
      TAHOON_PHI_KEYS: 'a:zz',
    });

    expect(parsed.success).toBe(false);
    const paths = parsed.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual([
      'PORT',
      'TAHOON_PHI_KEYS',
      'TAHOON_PHI_ACTIVE_KEY',
      'TAHOON_PHI_INDEX_KEY',
    ]);
  });
});

describe('development keys and key rings', () => {
  it('generates settings that pass the parser, fresh every time', async () => {
    const first = generatePhiEnv();
    const second = generatePhiEnv('local');

    expect(first.TAHOON_PHI_ACTIVE_KEY).toMatch(/^dev-[0-9a-f]{8}$/);
    expect(second.TAHOON_PHI_KEYS).toMatch(/^local:[A-Za-z0-9_-]{43}$/);
    expect(first.TAHOON_PHI_INDEX_KEY).not.toBe(second.TAHOON_PHI_INDEX_KEY);
    const ring = await loadPhiKeyRing({ NODE_ENV: 'production', ...first });
    expect(ring?.activeKeyId).toBe(first.TAHOON_PHI_ACTIVE_KEY);
    expect(() => generatePhiEnv('no.dots')).toThrow(TypeError);
  });

  it('imports keys that cannot be exported again', async () => {
    const ring = await loadPhiKeyRing(validEnv());
    const key = ring?.encryptionKey('a');

    expect(ring?.keyIds).toEqual(['a', 'b']);
    expect(key?.extractable).toBe(false);
    expect(ring?.indexKey.extractable).toBe(false);
    expect(ring?.encryptionKey('missing')).toBeUndefined();
  });

  it('checks key material given to it directly', async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const attempt = createPhiKeyRing({
      keys: [
        { id: 'a', bytes },
        { id: 'a', bytes: new Uint8Array(32) },
      ],
      activeKeyId: 'z',
      indexKey: bytes,
    });
    await expect(attempt).rejects.toThrow(PhiConfigError);
    await expect(attempt).rejects.toMatchObject({
      problems: [
        'key id a appears twice',
        'key a is not random enough',
        'active key z is not among the keys',
        'index key must differ from every encryption key',
      ],
    });
  });
});
