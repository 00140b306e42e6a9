import { createAuth } from '../auth.js';
import type { Deps } from '../deps.js';
import {
  readDemoCredentials,
  writeDemoCredentials,
  type DemoCredentials,
} from '../node/secrets.js';
import demoProviders from './demo-providers.json' with { type: 'json' };
import { parseProviderImport } from './provider-import.js';

export const DEMO_ORGANIZATION_NAME = 'Demo Clinic';

/** Loads the demo roster; a bad file is a bug in this repository, so it fails loudly. */
export async function loadDemoProviders() {
  const parsed = parseProviderImport(demoProviders);
  if (!parsed.ok)
    throw new Error(`demo-providers.json is invalid: ${JSON.stringify(parsed.errors)}`);
  return parsed.rows.map((row) => {
    if (!row.id) throw new Error(`demo provider ${row.displayName} has no id`);
    return { ...row, id: row.id };
  });
}

/**
 * Loads the demo roster and a demo organization with one credential. Running it again keeps
 * the organization and its secret (kept in the data folder, development only).
 */
export async function seedDemo(deps: Deps): Promise<DemoCredentials & { providers: number }> {
  const rows = await loadDemoProviders();
  await deps.store.providers.upsert(rows);

  const existing = await readDemoCredentials(deps.config);
  if (existing && (await deps.store.organizations.get(existing.organizationId))) {
    const credential = await deps.store.credentials.get(existing.clientId);
    if (credential && credential.revokedAtMs === null)
      return { ...existing, providers: rows.length };
  }

  const organizationId = existing?.organizationId ?? deps.ids.next('org');
  if (!(await deps.store.organizations.get(organizationId))) {
    await deps.store.organizations.create({
      id: organizationId,
      name: DEMO_ORGANIZATION_NAME,
      createdAtMs: deps.clock.nowMs(),
    });
  }
  const { clientId, clientSecret } = await createAuth(deps).createCredential(
    organizationId,
    'demo',
  );
  const demo = { organizationId, clientId, clientSecret };
  // The demo secret is kept only outside production, and only for the demo organization.
  if (deps.config.NODE_ENV !== 'production') await writeDemoCredentials(deps.config, demo);
  return { ...demo, providers: rows.length };
}
