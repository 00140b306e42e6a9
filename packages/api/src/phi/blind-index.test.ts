import { describe, expect, it } from 'vitest';
import { blindIndex, normaliseForIndex } from './blind-index.js';
import { createPhiCipher } from './cipher.js';
import { createPhiKeyRing } from './keys.js';

const randomKey = () => crypto.getRandomValues(new Uint8Array(32));

async function indexKeyOf(bytes = randomKey()): Promise<CryptoKey> {
  const ring = await createPhiKeyRing({
    keys: [{ id: 'a', bytes: randomKey() }],
    activeKeyId: 'a',
    indexKey: bytes,
  });
  return ring.indexKey;
}

const ORG_A = 'org_partnera0000001';
const ORG_B = 'org_partnerb0000002';

describe('PHI blind index', () => {
  it('is equal for emails that differ only in case and surrounding blanks', async () => {
    const key = await indexKeyOf();
    const plain = await blindIndex('email', 'sara.ali@example.org', ORG_A, key);

    expect(await blindIndex('email', '  Sara.Ali@EXAMPLE.org\n', ORG_A, key)).toBe(plain);
    expect(await blindIndex('email', 'sara.ali@example.com', ORG_A, key)).not.toBe(plain);
    expect(normaliseForIndex('email', ' A@B.C ')).toBe('a@b.c');
  });

  it('compares external ids exactly', async () => {
    const key = await indexKeyOf();
    const id = await blindIndex('externalId', 'MRN-00017', ORG_A, key);

    expect(await blindIndex('externalId', 'MRN-00017', ORG_A, key)).toBe(id);
    expect(await blindIndex('externalId', 'mrn-00017', ORG_A, key)).not.toBe(id);
    expect(await blindIndex('externalId', ' MRN-00017', ORG_A, key)).not.toBe(id);
  });

  it('differs across organizations and across kinds for the same text', async () => {
    const key = await indexKeyOf();
    const values = await Promise.all([
      blindIndex('email', 'sara@example.org', ORG_A, key),
      blindIndex('email', 'sara@example.org', ORG_B, key),
      blindIndex('externalId', 'sara@example.org', ORG_A, key),
      blindIndex('externalId', 'sara@example.org', ORG_B, key),
    ]);
    expect(new Set(values).size).toBe(4);
  });

  it('depends on the index key, so a new index key needs a full re-index', async () => {
    const first = await blindIndex('email', 'sara@example.org', ORG_A, await indexKeyOf());
    const second = await blindIndex('email', 'sara@example.org', ORG_A, await indexKeyOf());
    expect(first).not.toBe(second);
  });

  it('is a fixed-length base64url MAC that shows nothing of the value', async () => {
    const key = await indexKeyOf();
    for (const value of ['sara@example.org', 'x@y.z', `${'long'.repeat(60)}@example.org`]) {
      const index = await blindIndex('email', value, ORG_A, key);
      expect(index).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(index.toLowerCase()).not.toContain('sara');
    }
  });

  it('refuses empty values and a missing organization', async () => {
    const key = await indexKeyOf();
    await expect(blindIndex('email', '   ', ORG_A, key)).rejects.toThrow(TypeError);
    await expect(blindIndex('externalId', '', ORG_A, key)).rejects.toThrow(TypeError);
    await expect(blindIndex('email', 'a@b.c', '', key)).rejects.toThrow(TypeError);
  });

  it('is what the cipher computes under its ring', async () => {
    const indexKey = randomKey();
    const ring = await createPhiKeyRing({
      keys: [{ id: 'a', bytes: randomKey() }],
      activeKeyId: 'a',
      indexKey,
    });
    const fromCipher = await createPhiCipher(ring).blindIndex('email', 'Sara@example.org', ORG_A);
    expect(fromCipher).toBe(await blindIndex('email', 'sara@example.org', ORG_A, ring.indexKey));
  });
});
