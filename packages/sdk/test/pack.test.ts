/**
 * The package as a partner receives it: built, packed, installed into an empty project outside
 * the workspace, and compiled there by a strict `tsc`. This catches what the workspace hides: a
 * missing file in `files`, a declaration that imports `@tahoon/core`, exports that point at
 * TypeScript sources, a runtime dependency that crept in.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndPack, installConsumer, sh } from './packaging.js';

const TYPESCRIPT = 'typescript@5.9.3';
/** Installing from an empty npm cache and two full type-checks take a while on a small machine. */
const SLOW = 180_000;
const NODE_TYPES = '@types/node@20.19.43';

let work: string;
let consumer: string;
let tarball: string;

const CONSUMER_TS = `
import {
  Tahoon,
  TahoonApiError,
  TahoonConnectionError,
  TahoonError,
  type Booking,
  type Page,
  type Provider,
  type ProviderSearchParams,
  type ServerErrorCode,
  type WithRequestId,
} from '@tahoon/sdk';

const tahoon = new Tahoon({
  baseUrl: 'https://gateway.tahoon.example',
  clientId: 'cred_k3m9q2x7w4n8p5rt',
  clientSecret: 'secret',
  maxRetries: 1,
});

export async function bookEarliest(patientId: string): Promise<Booking | undefined> {
  const search: ProviderSearchParams = { specialty: 'anxiety', acceptingNewPatients: true };
  const page: Page<Provider> = await tahoon.providers.search(search, { timeoutMs: 5_000 });
  const provider = page.data[0];
  if (!provider) return undefined;
  const duration = provider.sessionTypes[0]?.duration ?? 50;
  const { data: slots, timeZone } = await tahoon.providers.slots(provider.id, {
    from: '2026-05-03T00:00:00+03:00', to: '2026-05-10T00:00:00+03:00', duration,
  });
  const slot = slots[0];
  if (!slot) return undefined;
  try {
    const booking: WithRequestId<Booking> = await tahoon.bookings.create(
      { patientId, providerId: provider.id, start: slot.start, duration },
      { idempotencyKey: patientId + slot.start },
    );
    const id: string = booking.requestId;
    void id;
    void timeZone;
    return booking;
  } catch (err) {
    if (!(err instanceof TahoonError)) throw err;
    switch (err.code) {
      case 'SLOT_UNAVAILABLE':
      case 'PATIENT_BUSY':
        return undefined;
      case 'TIMEOUT':
      case 'CONNECTION_FAILED':
      case 'ABORTED':
        throw err;
      default: {
        const status: number | undefined = err.status;
        void status;
        throw err;
      }
    }
  }
}

export async function confirmedIds(patientId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const booking of tahoon.bookings.list({ patientId, status: 'confirmed' })) {
    ids.push(booking.id);
  }
  const first = await tahoon.bookings.list({ limit: 10 });
  const next = await first.nextPage();
  return next ? [...ids, ...next.data.map((b) => b.id)] : ids;
}

export function describeError(err: unknown): string {
  if (err instanceof TahoonApiError) return err.code + ' ' + err.status + ' ' + err.requestId;
  if (err instanceof TahoonConnectionError) return err.code;
  return 'unknown';
}

export const conflict: ServerErrorCode = 'SLOT_UNAVAILABLE';

// @ts-expect-error an option that does not exist is a type error, as it is a TypeError at run time
new Tahoon({ baseUrl: 'https://x.example', clientId: 'a', clientSecret: 'b', timeout: 1 });

// @ts-expect-error only catalogue specialties are accepted
export const wrong: ProviderSearchParams = { specialty: 'astrology' };
`;

const SMOKE_MJS = `
import { Tahoon, TahoonConnectionError } from '@tahoon/sdk';

const tahoon = new Tahoon({
  baseUrl: 'http://127.0.0.1:9', clientId: 'id', clientSecret: 'secret', maxRetries: 0,
});
try {
  await tahoon.catalogue.get();
  process.exit(1);
} catch (err) {
  if (!(err instanceof TahoonConnectionError) || err.code !== 'CONNECTION_FAILED') throw err;
}
try {
  new Tahoon({ baseUrl: 'http://127.0.0.1:9', clientId: 'id', clientSecret: 's', retries: 1 });
  process.exit(1);
} catch (err) {
  if (!(err instanceof TypeError)) throw err;
}
console.log('smoke ok');
`;

describe('the packed package', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tahoon-sdk-pack-'));
    consumer = join(work, 'consumer');
    tarball = await buildAndPack(work);
    await installConsumer(consumer, [tarball, TYPESCRIPT, NODE_TYPES]);
  }, 5 * SLOW);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('holds the build, the docs and nothing else', async () => {
    const listing = await sh('tar', ['-tzf', tarball], work);
    const files = listing.split('\n').filter(Boolean).sort();

    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/README.md');
    expect(files).toContain('package/CHANGELOG.md');
    expect(files.filter((f) => /\/(src|test)\//.test(f) || f.endsWith('.tsbuildinfo'))).toEqual([]);
  });

  it('has no runtime dependencies and points at the build', async () => {
    const installed = join(consumer, 'node_modules/@tahoon/sdk/package.json');
    const manifest = JSON.parse(await readFile(installed, 'utf8')) as Record<string, unknown>;

    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.exports).toEqual({
      '.': { types: './dist/index.d.ts', import: './dist/index.js' },
    });
  });

  it(
    'type-checks a strict consumer, with the DOM library or with Node’s types',
    async () => {
      await writeFile(join(consumer, 'check.ts'), CONSUMER_TS);
      const tsc = join(consumer, 'node_modules/typescript/bin/tsc');
      const strict = [
        '--strict',
        '--noEmit',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
      ];

      await sh(process.execPath, [tsc, ...strict, 'check.ts'], consumer);
      await sh(
        process.execPath,
        [tsc, ...strict, '--lib', 'es2022', '--types', 'node', 'check.ts'],
        consumer,
      );
    },
    SLOW,
  );

  it(
    'loads and runs in Node',
    async () => {
      await writeFile(join(consumer, 'smoke.mjs'), SMOKE_MJS);

      expect(await sh(process.execPath, ['smoke.mjs'], consumer)).toContain('smoke ok');
    },
    SLOW,
  );
});
