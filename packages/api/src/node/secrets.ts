import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { decodeSecret } from '../config.js';
import { randomHex } from '../crypto.js';
import type { Keys } from '../deps.js';

interface LocalSecrets {
  tokenSecret: string;
  credentialKey: string;
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
  if (config.TAHOON_TOKEN_SECRET && config.TAHOON_CREDENTIAL_KEY) {
    return {
      tokenSecret: decodeSecret(config.TAHOON_TOKEN_SECRET),
      credentialKey: decodeSecret(config.TAHOON_CREDENTIAL_KEY),
    };
  }
  if (config.NODE_ENV === 'production') {
    throw new Error('TAHOON_TOKEN_SECRET and TAHOON_CREDENTIAL_KEY are required in production');
  }
  const path = join(config.TAHOON_DATA_DIR, 'secrets.json');
  let local = await readJson<LocalSecrets>(path);
  if (!local) {
    local = { tokenSecret: randomHex(32), credentialKey: randomHex(32) };
    await mkdir(config.TAHOON_DATA_DIR, { recursive: true });
    await writeFile(path, JSON.stringify(local, null, 2) + '\n', { mode: 0o600 });
  }
  return {
    tokenSecret: decodeSecret(config.TAHOON_TOKEN_SECRET ?? local.tokenSecret),
    credentialKey: decodeSecret(config.TAHOON_CREDENTIAL_KEY ?? local.credentialKey),
  };
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
  await writeFile(demoCredentialsPath(config), JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });
}
