import { exportPKCS8, generateKeyPair } from 'jose';
import pino from 'pino';
import type { CryptoKey } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeFcm } from '../../../test/fakes/fcm-server.js';
import { createPush, parseServiceAccount } from './index.js';
import { bookingNotification } from './messages.js';

const NOTIFICATION = bookingNotification({
  type: 'booking.reminder',
  bookingId: 'bkg_k3m9x2p7q4r8s5t6',
});

let keys: { publicKey: CryptoKey; privateKeyPem: string };

beforeAll(async () => {
  // One key pair for the file: RSA generation is the slow part of these tests.
  const pair = await generateKeyPair('RS256', { extractable: true });
  keys = { publicKey: pair.publicKey, privateKeyPem: await exportPKCS8(pair.privateKey) };
});

afterEach(() => {
  vi.restoreAllMocks();
});

function serviceAccountJson(tokenUri: string) {
  const account = {
    type: 'service_account',
    project_id: 'tahoon-test',
    private_key_id: 'k1',
    private_key: keys.privateKeyPem,
    client_email: 'push@tahoon-test.iam.gserviceaccount.com',
    token_uri: tokenUri,
  };
  return { publicKey: keys.publicKey, account };
}

describe('createPush', () => {
  it('answers undeliverable to every send without credentials, sending nothing', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const lines: Record<string, unknown>[] = [];
    const logger = pino({}, { write: (line: string) => lines.push(JSON.parse(line)) });

    for (const config of [{}, { fcm: {} }, { fcm: { serviceAccount: '  ' } }]) {
      const push = createPush({ ...config, logger });
      expect(push.name).toBe('unconfigured');
      await expect(
        push.send({ deviceToken: 'device-1', notification: NOTIFICATION }),
      ).resolves.toEqual({
        status: 'undeliverable',
        reason: 'push not configured',
      });
    }

    expect(fetchSpy).not.toHaveBeenCalled();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ msg: 'push not delivered', reason: 'push not configured' });
  });

  it('sends through FCM when a service account is configured as JSON text', async () => {
    const placeholder = serviceAccountJson('http://127.0.0.1:1/token');
    const fake = await startFakeFcm({
      projectId: 'tahoon-test',
      clientEmail: placeholder.account.client_email,
      publicKey: placeholder.publicKey,
    });
    const json = JSON.stringify({ ...placeholder.account, token_uri: fake.tokenUri });

    try {
      const push = createPush({ fcm: { serviceAccount: json, apiBase: fake.url } });
      const result = await push.send({ deviceToken: 'device-1', notification: NOTIFICATION });

      expect(push.name).toBe('fcm');
      expect(result.status).toBe('sent');
      expect(fake.messages()[0]?.message.data).toEqual({
        type: 'booking.reminder',
        bookingId: 'bkg_k3m9x2p7q4r8s5t6',
      });
    } finally {
      await fake.close();
    }
  });

  it('refuses unusable credentials at boot rather than turning push off', () => {
    const { account } = serviceAccountJson('https://oauth2.example.org/token');
    const { private_key: _key, ...keyless } = account;

    expect(() => createPush({ fcm: { serviceAccount: '{not json' } })).toThrow(/not valid JSON/);
    expect(() => createPush({ fcm: { serviceAccount: JSON.stringify(keyless) } })).toThrow(
      /lacks private_key/,
    );
    const userCredentials = JSON.stringify({ ...account, type: 'authorized_user' });
    expect(() => createPush({ fcm: { serviceAccount: userCredentials } })).toThrow(
      /service account/,
    );
  });
});

describe('parseServiceAccount', () => {
  it('never quotes the key in its errors', () => {
    const { account } = serviceAccountJson('https://oauth2.example.org/token');
    const broken = JSON.stringify(account).slice(0, -10);

    expect(() => parseServiceAccount(broken)).toThrow(/^FCM service account is not valid JSON$/);
  });

  it('restores newlines in a key pasted with escaped line breaks', () => {
    const { account } = serviceAccountJson('https://oauth2.example.org/token');
    const escaped = { ...account, private_key: account.private_key.replaceAll('\n', '\\n') };

    expect(parseServiceAccount(escaped).private_key).toBe(account.private_key);
  });
});
