import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, tahoon } from './cli-runner.js';

describe('the tahoon CLI on the embedded database', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tahoon-cli-'));
    env = { TAHOON_DATA_DIR: dir };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('seeds demo data and keeps the demo secret on a second run', async () => {
    const first = json<{
      organizationId: string;
      clientId: string;
      clientSecret: string;
      providers: number;
    }>(await tahoon(['seed', '--demo', '--json'], env));
    expect(first.providers).toBeGreaterThanOrEqual(40);
    expect(first.clientSecret).toMatch(/^tk_test_/);
    const second = json<typeof first>(await tahoon(['seed', '--demo', '--json'], env));
    expect(second).toEqual(first);
  });

  it('creates an organization and manages its credentials', async () => {
    const org = json<{ organizationId: string; name: string }>(
      await tahoon(['orgs', 'create', '--name', 'Riverside Clinic', '--json'], env),
    );
    expect(org).toEqual({
      organizationId: expect.stringMatching(/^org_/),
      name: 'Riverside Clinic',
    });

    const created = json<{ organizationId: string; clientId: string; clientSecret: string }>(
      await tahoon(['credentials', 'create', '--org', org.organizationId, '--json'], env),
    );
    expect(created.clientSecret).toContain(created.clientId.slice('cred_'.length));

    const listed = json<{ data: Record<string, unknown>[] }>(
      await tahoon(['credentials', 'list', '--org', org.organizationId, '--json'], env),
    );
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).toMatchObject({ status: 'active', scopes: expect.any(Array) });
    expect(JSON.stringify(listed)).not.toContain(created.clientSecret);
    expect(listed.data[0]).toMatchObject({ clientId: created.clientId, revokedAt: null });

    // A narrowed credential, then a rotation: both secrets listed, the new one shown once.
    const narrowed = json<{ clientId: string; scopes: string[] }>(
      await tahoon(
        [
          'credentials',
          'create',
          '--org',
          org.organizationId,
          '--scopes',
          'providers:read,bookings:read',
          '--json',
        ],
        env,
      ),
    );
    expect(narrowed.scopes).toEqual(['providers:read', 'bookings:read']);
    const unknownScope = await tahoon(
      ['credentials', 'create', '--org', org.organizationId, '--scopes', 'everything'],
      env,
    );
    expect(unknownScope.code).toBe(2);
    const rotated = json<{ clientSecret: string; previousSecretsExpireAt: string }>(
      await tahoon(
        [
          'credentials',
          'rotate',
          '--org',
          org.organizationId,
          '--client-id',
          narrowed.clientId,
          '--overlap-seconds',
          '3600',
          '--json',
        ],
        env,
      ),
    );
    expect(rotated.clientSecret).toContain(narrowed.clientId.slice('cred_'.length));
    const withTwo = json<{ data: { clientId: string; secrets: unknown[] }[] }>(
      await tahoon(['credentials', 'list', '--org', org.organizationId, '--json'], env),
    );
    expect(withTwo.data.find((c) => c.clientId === narrowed.clientId)?.secrets).toHaveLength(2);
    expect(JSON.stringify(withTwo)).not.toContain(rotated.clientSecret);

    const revoke = await tahoon(
      [
        'credentials',
        'revoke',
        '--org',
        org.organizationId,
        '--client-id',
        created.clientId,
        '--json',
      ],
      env,
    );
    expect(revoke.code).toBe(0);
    const after = json<{ data: { clientId: string; revokedAt: string | null }[] }>(
      await tahoon(['credentials', 'list', '--org', org.organizationId, '--json'], env),
    );
    expect(after.data.find((c) => c.clientId === created.clientId)?.revokedAt).not.toBeNull();
  });

  it('exits 2 for usage and validation errors', async () => {
    expect((await tahoon(['orgs', 'create'], env)).code).toBe(2);
    expect((await tahoon(['nonsense'], env)).code).toBe(2);
    expect((await tahoon(['orgs', 'create', '--name', 'x', '--bogus'], env)).code).toBe(2);
    expect(
      (await tahoon(['credentials', 'create', '--org', 'org_aaaaaaaaaaaaaaaa'], env)).code,
    ).toBe(2);
    const mark = await tahoon(
      ['bookings', 'mark', '--id', 'bkg_aaaaaaaaaaaaaaaa', '--status', 'done'],
      env,
    );
    expect(mark.code).toBe(2);
  });

  it('imports nothing from a file with errors and reports index and field', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ providers: [{ displayName: 'Dr. Only Name' }, { bogus: true }] }),
    );
    const run = await tahoon(['providers', 'import', file, '--json'], env);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout) as {
      imported: number;
      errors: { index: number; field: string }[];
    };
    expect(report.imported).toBe(0);
    expect(report.errors.some((e) => e.index === 0 && e.field === '/type')).toBe(true);
    expect(report.errors.some((e) => e.index === 1 && e.field === '/bogus')).toBe(true);
  });

  it('prints fresh production secrets without touching a database', async () => {
    const first = await tahoon(['secrets', 'generate'], env);
    const second = json<Record<string, string>>(
      await tahoon(['secrets', 'generate', '--json'], env),
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^TAHOON_TOKEN_SIGNING_KEYS=\{"keys":/m);
    expect(first.stdout).toMatch(/^TAHOON_OPERATOR_TOKEN=/m);
    expect(Object.keys(second).sort()).toEqual([
      'TAHOON_CREDENTIAL_KEY',
      'TAHOON_OPERATOR_TOKEN',
      'TAHOON_PHI_ACTIVE_KEY',
      'TAHOON_PHI_INDEX_KEY',
      'TAHOON_PHI_KEYS',
      'TAHOON_TOKEN_SIGNING_KEYS',
    ]);
    expect(first.stdout).not.toContain(second.TAHOON_CREDENTIAL_KEY);
  });

  it('prints the OpenAPI document', async () => {
    const doc = json<{ openapi: string; paths: Record<string, unknown> }>(
      await tahoon(['openapi'], env),
    );
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/v1/bookings');
  });
});
