import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { decodeSecret } from '../config.js';
import { randomHex, webIds } from '../crypto.js';
import type { Keys } from '../deps.js';
import {
  createPhiCipher,
  generatePhiEnv,
  loadPhiKeyRing,
  type PhiCipher,
  type PhiEnv,
} from '../phi/index.js';
import { generateSigningKey, type SigningKey } from '../tokens/signing-keys.js';

interface LocalSecrets {
  /** Signed HS256 tokens before access tokens moved to EdDSA; no longer read. */
  tokenSecret?: string;
  tokenSigningKeys?: SigningKey[];
  credentialKey: string;
  phi?: PhiEnv;
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/**
 * The keys the gateway runs with. Production takes them from the environment only (boot fails
 * without them); development generates strong ones once and keeps them in the data folder,
 * outside the repository, so tokens survive a restart.
 */
export async function resolveKeys(config: Config): Promise<Keys> {
  if (config.TAHOON_TOKEN_SIGNING_KEYS && config.TAHOON_CREDENTIAL_KEY) {
    return {
      tokenSigningKeys: config.TAHOON_TOKEN_SIGNING_KEYS,
      credentialKey: decodeSecret(config.TAHOON_CREDENTIAL_KEY),
    };
  }
  if (config.NODE_ENV === 'production') {
    throw new Error(
      'TAHOON_TOKEN_SIGNING_KEYS and TAHOON_CREDENTIAL_KEY are required in production',
    );
  }
  const local = await localSecrets(config);
  return {
    tokenSigningKeys: config.TAHOON_TOKEN_SIGNING_KEYS ?? local.tokenSigningKeys ?? [],
    credentialKey: decodeSecret(config.TAHOON_CREDENTIAL_KEY ?? local.credentialKey),
  };
}

/**
 * The development secrets in the data folder, generated on first use. A folder from before
 * EdDSA tokens gains a signing key and keeps everything else.
 */
async function localSecrets(config: Config): Promise<LocalSecrets> {
  const path = join(config.TAHOON_DATA_DIR, 'secrets.json');
  const local = (await readJson<LocalSecrets>(path)) ?? { credentialKey: randomHex(32) };
  if (local.tokenSigningKeys?.length) return local;
  local.tokenSigningKeys = [await generateSigningKey(webIds.next('sgk'))];
  delete local.tokenSecret;
  await mkdir(config.TAHOON_DATA_DIR, { recursive: true });
  await writeFile(path, JSON.stringify(local, null, 2) + '\n', { mode: 0o600 });
  return local;
}

/**
 * The cipher for patient data at rest. Production takes its keys from the environment only;
 * development generates them once into the data folder, so stored patients read back after a
 * restart.
 */
export async function resolvePhi(
  config: Config,
  env: Record<string, string | undefined>,
): Promise<PhiCipher> {
  const fromEnv = await loadPhiKeyRing(env);
  if (fromEnv) return createPhiCipher(fromEnv);
  const path = join(config.TAHOON_DATA_DIR, 'secrets.json');
  const local =
    (await readJson<LocalSecrets>(path)) ??
    (await resolveKeys(config), await readJson<LocalSecrets>(path));
  if (!local) throw new Error(`could not read ${path}`);
  if (!local.phi) {
    local.phi = generatePhiEnv();
    await writeFile(path, JSON.stringify(local, null, 2) + '\n', { mode: 0o600 });
  }
  const ring = await loadPhiKeyRing({ ...local.phi });
  if (!ring) throw new Error('the development PHI keys in the data folder are incomplete');
  return createPhiCipher(ring);
}

export interface DemoCredentials {
  organizationId: string;
  clientId: string;
  clientSecret: string;
}

export const demoCredentialsPath = (config: Config) =>
  join(config.TAHOON_DATA_DIR, 'demo-credentials.json');

export function readDemoCredentials(config: Config): Promise<DemoCredentials | null> {
  return readJson<DemoCredentials>(demoCredentialsPath(config));
}

export async function writeDemoCredentials(config: Config, demo: DemoCredentials): Promise<void> {
  await mkdir(config.TAHOON_DATA_DIR, { recursive: true });
  await writeFile(demoCredentialsPath(config), JSON.stringify(demo, null, 2) + '\n', {
    mode: 0o600,
  });
}

/**
 * A complete set of fresh production secrets, as environment variables: a token signing key,
 * the credential key, PHI keys (the key id names the month it was made, so rotations read
 * well) and the operator token. Printed by `tahoon secrets generate`; nothing is stored.
 */
export async function generateProductionSecrets(now = new Date()): Promise<Record<string, string>> {
  const month = now.toISOString().slice(0, 7).replace('-', '');
  const signingKey = await generateSigningKey(`tok-${month}-${randomHex(4)}`);
  return {
    TAHOON_TOKEN_SIGNING_KEYS: JSON.stringify({ keys: [signingKey] }),
    TAHOON_CREDENTIAL_KEY: randomBase64Url(32),
    ...generatePhiEnv(`phi-${month}-${randomHex(4)}`),
    TAHOON_OPERATOR_TOKEN: randomBase64Url(32),
  };
}

/** base64url carries more distinct characters than hex, as the secret checks expect. */
function randomBase64Url(byteLength: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(byteLength))).toString('base64url');
}
