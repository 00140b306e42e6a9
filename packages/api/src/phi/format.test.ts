import { describe, expect, it } from 'vitest';
import { decodeBase64Url, decodeKeyText, encodeBase64Url } from './base64url.js';
import { formatStoredPhi, parseStoredPhi, storedPhiKeyId } from './format.js';

const randomBytes = (length: number) => crypto.getRandomValues(new Uint8Array(length));

/** A well-formed v1 value: 12-byte IV, one padded block plus the tag. */
function sampleStored(keyId = 'k1'): string {
  return formatStoredPhi({ keyId, iv: randomBytes(12), sealed: randomBytes(32) });
}

describe('base64url', () => {
  it('round-trips every length from 0 to 64 bytes', () => {
    for (let length = 0; length <= 64; length += 1) {
      const bytes = randomBytes(length);
      const text = encodeBase64Url(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(decodeBase64Url(text)).toEqual(bytes);
    }
  });

  it('refuses padding, the standard alphabet, impossible lengths and unused bits', () => {
    expect(decodeBase64Url('AAE=')).toBeNull();
    expect(decodeBase64Url('+/8')).toBeNull();
    expect(decodeBase64Url('AAAAA')).toBeNull();
    // 'AB' spells one byte with its 4 unused bits set; 'AA' is the canonical form.
    expect(decodeBase64Url('AB')).toBeNull();
    expect(decodeBase64Url('AA')).toEqual(new Uint8Array([0]));
  });

  it('reads configured keys in standard base64 or base64url', () => {
    const bytes = randomBytes(32);
    const standard = btoa(String.fromCharCode(...bytes));
    expect(decodeKeyText(standard)).toEqual(bytes);
    expect(decodeKeyText(encodeBase64Url(bytes))).toEqual(bytes);
  });
});

describe('stored format', () => {
  it('writes v1.<keyId>.<iv>.<sealed> and parses it back', () => {
    const iv = randomBytes(12);
    const sealed = randomBytes(48);
    const stored = formatStoredPhi({ keyId: 'key-2027_a', iv, sealed });

    expect(stored).toMatch(/^v1\.key-2027_a\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{64}$/);
    expect(parseStoredPhi(stored)).toEqual({ keyId: 'key-2027_a', iv, sealed });
    expect(storedPhiKeyId(stored)).toBe('key-2027_a');
  });

  it('refuses anything that is not exactly a v1 value', () => {
    const good = sampleStored();
    const [, keyId, iv, sealed] = good.split('.');
    const broken = [
      '',
      'plain text',
      good.replace(/^v1/, 'v2'),
      good.replace(/^v1/, 'V1'),
      `${good}.extra`,
      `v1.${keyId}.${iv}`,
      `v1..${iv}.${sealed}`,
      `v1.k.1.${iv}.${sealed}`,
      `v1.${'k'.repeat(33)}.${iv}.${sealed}`,
      `v1.${keyId}.${iv}.${sealed}=`,
      `v1.${keyId}.${iv}A.${sealed}`,
      `v1.${keyId}.${iv?.slice(1)}.${sealed}`,
      ` ${good}`,
      `${good}\n`,
    ];
    for (const value of broken) expect(parseStoredPhi(value), value).toBeNull();
  });

  it('refuses sealed lengths the writer never produces', () => {
    const iv = randomBytes(12);
    for (const length of [0, 16, 31, 33, 47, 40]) {
      const stored = formatStoredPhi({ keyId: 'k1', iv, sealed: randomBytes(length) });
      expect(parseStoredPhi(stored), `sealed ${length} bytes`).toBeNull();
    }
    const longest = formatStoredPhi({ keyId: 'k1', iv, sealed: randomBytes(4096 + 32) });
    const tooLong = formatStoredPhi({ keyId: 'k1', iv, sealed: randomBytes(4096 + 48) });
    expect(parseStoredPhi(longest)).not.toBeNull();
    expect(parseStoredPhi(tooLong)).toBeNull();
  });

  it('refuses a non-canonical spelling of the sealed bytes', () => {
    const good = sampleStored();
    // 32 sealed bytes take 43 characters; the last one carries 2 unused bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const index = alphabet.indexOf(good.at(-1) ?? '');
    const tampered = good.slice(0, -1) + alphabet.charAt(index ^ 1);
    expect(parseStoredPhi(tampered)).toBeNull();
  });
});
