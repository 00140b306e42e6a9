import { describe, expect, it } from 'vitest';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { createPhiCipher, decryptPhi, encryptPhi, type PhiContext } from './cipher.js';
import { PhiDecryptError } from './errors.js';
import { formatStoredPhi, parseStoredPhi } from './format.js';
import { createPhiKeyRing, type PhiKeyEntry } from './keys.js';

const randomKey = () => crypto.getRandomValues(new Uint8Array(32));
const KEY_A: PhiKeyEntry = { id: 'a', bytes: randomKey() };
const KEY_B: PhiKeyEntry = { id: 'b', bytes: randomKey() };
const INDEX_KEY = randomKey();

function ringOf(keys: PhiKeyEntry[], activeKeyId: string) {
  return createPhiKeyRing({ keys, activeKeyId, indexKey: INDEX_KEY });
}

const EMAIL: PhiContext = {
  table: 'patients',
  column: 'email',
  organizationId: 'org_partnera0000001',
  rowId: 'pat_0000000000000001',
};

/** Asserts a decryption fails with the given reason and a message free of the value. */
async function expectDecryptFailure(
  attempt: Promise<string>,
  reason: PhiDecryptError['reason'],
): Promise<PhiDecryptError> {
  const error: unknown = await attempt.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PhiDecryptError);
  const failure = error as PhiDecryptError;
  expect(failure.reason).toBe(reason);
  return failure;
}

describe('PHI cipher', () => {
  it('gives 1,000 distinct ciphertexts (and IVs) for 1,000 encryptions of one value', async () => {
    const phi = createPhiCipher(await ringOf([KEY_A], 'a'));
    const stored = await Promise.all(
      Array.from({ length: 1000 }, () => phi.encrypt('sara.ali@example.org', EMAIL)),
    );

    expect(new Set(stored).size).toBe(1000);
    expect(new Set(stored.map((value) => value.split('.')[2])).size).toBe(1000);
    const plain = await Promise.all(stored.map((value) => phi.decrypt(value, EMAIL)));
    expect(plain.every((value) => value === 'sara.ali@example.org')).toBe(true);
  });

  it('fails to decrypt when any single bit of the IV, ciphertext or tag is flipped', async () => {
    const ring = await ringOf([KEY_A], 'a');
    const stored = await encryptPhi('sara.ali@example.org', EMAIL, ring);
    const parts = parseStoredPhi(stored);
    if (!parts) throw new Error('writer produced an unparseable value');
    const bytes = new Uint8Array([...parts.iv, ...parts.sealed]);

    let failures = 0;
    for (let bit = 0; bit < bytes.length * 8; bit += 1) {
      const flipped = Uint8Array.from(bytes);
      flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      const iv = flipped.subarray(0, 12);
      const tampered = formatStoredPhi({ keyId: 'a', iv, sealed: flipped.subarray(12) });
      await expectDecryptFailure(decryptPhi(tampered, EMAIL, ring), 'authentication');
      failures += 1;
    }
    // 12 IV bytes, 32 bytes of padded ciphertext, 16 tag bytes.
    expect(failures).toBe(60 * 8);
  });

  it('fails when the value is read in another organization, row, column or table', async () => {
    const ring = await ringOf([KEY_A], 'a');
    const stored = await encryptPhi('sara.ali@example.org', EMAIL, ring);
    const elsewhere: PhiContext[] = [
      { ...EMAIL, organizationId: 'org_partnerb0000002' },
      { ...EMAIL, rowId: 'pat_0000000000000002' },
      { ...EMAIL, column: 'phone' },
      { ...EMAIL, table: 'patients_archive' },
    ];
    for (const context of elsewhere) {
      await expectDecryptFailure(decryptPhi(stored, context, ring), 'authentication');
    }
    expect(await decryptPhi(stored, EMAIL, ring)).toBe('sara.ali@example.org');
  });

  it('fails when the key id in the header is relabelled to another key of the ring', async () => {
    const ring = await ringOf([KEY_A, KEY_B], 'a');
    const stored = await encryptPhi('Sara', EMAIL, ring);
    const relabelled = stored.replace(/^v1\.a\./, 'v1.b.');

    await expectDecryptFailure(decryptPhi(relabelled, EMAIL, ring), 'authentication');
  });

  it('names the field and key id in failures, never the value or the plaintext', async () => {
    const ring = await ringOf([KEY_A], 'a');
    const stored = await encryptPhi('sara.ali@example.org', EMAIL, ring);
    const other = { ...EMAIL, organizationId: 'org_partnerb0000002' };
    const failure = await expectDecryptFailure(decryptPhi(stored, other, ring), 'authentication');

    expect(failure.message).toContain('patients.email');
    expect(failure.message).toContain('key id a');
    for (const secret of ['sara', stored, encodeBase64Url(KEY_A.bytes)]) {
      expect(failure.message).not.toContain(secret);
      expect(String(failure.stack)).not.toContain(secret);
    }
  });

  it('reads a value written under key A after the ring gains key B as active', async () => {
    const before = createPhiCipher(await ringOf([KEY_A], 'a'));
    const stored = await before.encrypt('+966501234567', EMAIL);
    const after = createPhiCipher(await ringOf([KEY_A, KEY_B], 'b'));

    expect(await after.decrypt(stored, EMAIL)).toBe('+966501234567');
    expect(await after.encrypt('+966501234567', EMAIL)).toMatch(/^v1\.b\./);
    expect(after.activeKeyId).toBe('b');
  });

  it('reports a key id the ring no longer holds, and malformed values', async () => {
    const stored = await encryptPhi('Sara', EMAIL, await ringOf([KEY_A], 'a'));
    const withoutA = await ringOf([KEY_B], 'b');

    await expectDecryptFailure(decryptPhi(stored, EMAIL, withoutA), 'unknown-key');
    for (const value of ['', 'sara@example.org', stored.slice(0, -4), `${stored}.x`]) {
      await expectDecryptFailure(decryptPhi(value, EMAIL, withoutA), 'malformed');
    }
  });

  it('leaves no PHI in clear in stored values', async () => {
    const ring = await ringOf([KEY_A], 'a');
    const values = [
      'Sara',
      'Al-Qahtani',
      'sara.ali@example.org',
      '+966501234567',
      '1990-04-21',
      'u-1',
    ];
    const textForms = (value: string) => {
      const utf8 = new TextEncoder().encode(value);
      return [
        value,
        value.toLowerCase(),
        encodeBase64Url(utf8),
        btoa(String.fromCharCode(...utf8)),
      ];
    };

    for (const value of values) {
      const stored = await encryptPhi(value, EMAIL, ring);
      for (const form of textForms(value))
        expect(stored.toLowerCase()).not.toContain(form.toLowerCase());
      const sealed = decodeBase64Url(stored.split('.')[3] ?? '');
      const sealedText = new TextDecoder().decode(sealed ?? new Uint8Array());
      expect(sealedText).not.toContain(value);
    }
  });

  it('round-trips non-Latin text, the empty string and the longest allowed value', async () => {
    const ring = await ringOf([KEY_A], 'a');
    const values = ['سارة القحطاني', 'Zoë 👩🏽‍⚕️', '', 'x'.repeat(4096)];
    for (const value of values) {
      expect(await decryptPhi(await encryptPhi(value, EMAIL, ring), EMAIL, ring)).toBe(value);
    }
  });

  it('pads lengths to 16-byte buckets so short values share one stored length', async () => {
    const ring = await ringOf([KEY_A], 'a');
    const lengths = await Promise.all(
      ['A', 'Sara', 'Abdulrahman Ali'].map(
        async (name) => (await encryptPhi(name, EMAIL, ring)).length,
      ),
    );
    expect(new Set(lengths).size).toBe(1);
    const seventeen = await encryptPhi('x'.repeat(16), EMAIL, ring);
    expect(seventeen.length).toBeGreaterThan(lengths[0] ?? 0);
  });

  it('refuses bad contexts and plaintext it could not give back unchanged', async () => {
    const ring = await ringOf([KEY_A], 'a');
    const bad: PhiContext[] = [
      { ...EMAIL, table: 'Patients' },
      { ...EMAIL, column: 'email; drop' },
      { ...EMAIL, organizationId: '' },
      { ...EMAIL, rowId: 'p'.repeat(129) },
    ];
    for (const context of bad)
      await expect(encryptPhi('Sara', context, ring)).rejects.toThrow(TypeError);
    await expect(encryptPhi('Sara\uD800', EMAIL, ring)).rejects.toThrow(TypeError);
    await expect(encryptPhi('x'.repeat(4097), EMAIL, ring)).rejects.toThrow(RangeError);
  });

  it('measures the cost of one encrypt and decrypt', async () => {
    const phi = createPhiCipher(await ringOf([KEY_A], 'a'));
    const roundTrip = async (i: number) => {
      const context = { ...EMAIL, rowId: `pat_${i}` };
      const stored = await phi.encrypt('sara.ali@example.org', context);
      return (await phi.decrypt(stored, context)) === 'sara.ali@example.org';
    };
    for (let i = 0; i < 200; i += 1) await roundTrip(i);

    const rounds = 2000;
    let matches = 0;
    const started = performance.now();
    for (let i = 0; i < rounds; i += 1) if (await roundTrip(i)) matches += 1;
    const microseconds = ((performance.now() - started) * 1000) / rounds;

    console.log(
      `PHI encrypt+decrypt: ${microseconds.toFixed(1)} µs per value, ${rounds} in sequence`,
    );
    expect(matches).toBe(rounds);
  });
});
