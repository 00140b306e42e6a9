import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, tahoon } from './cli-runner.js';

interface Key {
  id: string;
  credentialId: string;
  status: string;
  secret?: string;
  expiresAt: string | null;
}

describe('the signing commands of the tahoon CLI', () => {
  let dir: string;
  let env: Record<string, string>;
  let org: string;
  let clientId: string;
  let otherOrg: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tahoon-signing-cli-'));
    env = { TAHOON_DATA_DIR: dir };
    org = json<{ organizationId: string }>(
      await tahoon(['orgs', 'create', '--name', 'Signing Clinic', '--json'], env),
    ).organizationId;
    clientId = json<{ clientId: string }>(
      await tahoon(['credentials', 'create', '--org', org, '--json'], env),
    ).clientId;
    otherOrg = json<{ organizationId: string }>(
      await tahoon(['orgs', 'create', '--name', 'Other', '--json'], env),
    ).organizationId;
  }, 180_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses to require signing before a key exists, then manages keys and the setting', async () => {
    const early = await tahoon(['orgs', 'require-signing', org, 'on', '--json'], env);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/Create a signing key/);

    const created = json<Key>(
      await tahoon(
        ['signing-keys', 'create', '--org', org, '--client-id', clientId, '--json'],
        env,
      ),
    );
    expect(created).toMatchObject({ credentialId: clientId, status: 'active' });
    expect(created.secret).toMatch(/^tks_[A-Za-z0-9_-]{43}$/);

    const on = await tahoon(['orgs', 'require-signing', org, 'on', '--json'], env);
    expect(json(on)).toEqual({ organizationId: org, requireSignedRequests: true });

    const rotated = json<{ key: Key; previous: Key }>(
      await tahoon(
        [
          'signing-keys',
          'rotate',
          '--org',
          org,
          '--id',
          created.id,
          '--overlap-seconds',
          '60',
          '--json',
        ],
        env,
      ),
    );
    expect(rotated.key.id).not.toBe(created.id);
    expect(rotated.key.secret).toMatch(/^tks_/);
    expect(rotated.previous).toMatchObject({ id: created.id, status: 'active' });
    expect(rotated.previous.expiresAt).not.toBeNull();

    const listed = json<{ data: Key[] }>(
      await tahoon(['signing-keys', 'list', '--org', org, '--json'], env),
    );
    expect(listed.data).toHaveLength(2);
    expect(JSON.stringify(listed)).not.toContain('tks_');
    expect(listed.data.find((k) => k.id === created.id)?.expiresAt).not.toBeNull();

    const revoked = json<Key>(
      await tahoon(['signing-keys', 'revoke', '--org', org, '--id', created.id, '--json'], env),
    );
    expect(revoked).toMatchObject({ id: created.id, status: 'revoked' });

    const off = await tahoon(['orgs', 'require-signing', org, 'off', '--json'], env);
    expect(json(off)).toEqual({ organizationId: org, requireSignedRequests: false });
  }, 180_000);

  it("answers usage errors and another organization's ids with exit status 2", async () => {
    const foreign = await tahoon(
      ['signing-keys', 'create', '--org', otherOrg, '--client-id', clientId, '--json'],
      env,
    );
    expect(foreign.code).toBe(2);
    expect(json<{ error: { message: string } }>(foreign).error.message).toMatch(/No credential/);

    const bad = await tahoon(
      ['signing-keys', 'rotate', '--org', org, '--id', 'sgk_x', '--overlap-seconds', 'soon'],
      env,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--overlap-seconds must be a whole number/);

    const setting = await tahoon(['orgs', 'require-signing', org, 'maybe'], env);
    expect(setting.code).toBe(2);
  }, 180_000);
});
