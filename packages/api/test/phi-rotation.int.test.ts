/**
 * PHI key rotation on a live database: after a new key becomes active, the background
 * re-encryption moves every sealed value to it, every row still reads back, and the old key can
 * then be retired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rotateSealedValues } from '../src/db/phi-rotation.js';
import {
  createPhiKeyRing,
  decryptPhi,
  PATIENT_PHI_COLUMNS,
  type PhiKeyRing,
} from '../src/phi/index.js';
import { patientInput } from './acceptance.js';
import { createTestGateway, DB_KINDS, rest, type TestGateway } from './harness.js';

const PATIENTS = 25;

/** The gateway's ring with a new key in front: the new key seals, both keys open. */
async function withNewActiveKey(old: PhiKeyRing, keyId: string): Promise<PhiKeyRing> {
  const fresh = await createPhiKeyRing({
    keys: [{ id: keyId, bytes: crypto.getRandomValues(new Uint8Array(32)) }],
    activeKeyId: keyId,
    indexKey: crypto.getRandomValues(new Uint8Array(32)),
  });
  return {
    activeKeyId: keyId,
    keyIds: [keyId, ...old.keyIds],
    encryptionKey: (id) => fresh.encryptionKey(id) ?? old.encryptionKey(id),
    indexKey: old.indexKey,
  };
}

/** Only the new key: what remains once the old one is retired. */
function withoutOldKeys(ring: PhiKeyRing): PhiKeyRing {
  return {
    ...ring,
    keyIds: [ring.activeKeyId],
    encryptionKey: (id) => (id === ring.activeKeyId ? ring.encryptionKey(id) : undefined),
  };
}

async function sealedValues(gw: TestGateway) {
  const columns = sql.raw(PATIENT_PHI_COLUMNS.map((c) => `"${c}"`).join(', '));
  const result = await gw.database.db.execute(
    sql`select id, organization_id, ${columns} from patients order by id`,
  );
  return (result as unknown as { rows: Record<string, string | null>[] }).rows;
}

describe.each(DB_KINDS)('PHI key rotation on %s', (kind) => {
  let gw: TestGateway;
  const submitted = new Map<string, Record<string, string>>();
  let erasedId: string;

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    for (let i = 0; i < PATIENTS; i++) {
      const input = {
        ...patientInput(`rotation-${i}`),
        givenName: `Canary${i}`,
        email: `canary${i}@example.org`,
        phone: `+96650000${String(i).padStart(4, '0')}`,
      };
      const created = await rest(gw, 'POST', '/v1/patients', {
        token: gw.partnerA.token,
        body: input,
      });
      expect(created.status).toBe(201);
      submitted.set((created.body as { id: string }).id, input);
    }
    // An erased patient keeps its row with its sealed columns emptied: nothing to move, and
    // nothing to report as unreadable.
    const erased = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: patientInput('rotation-erased'),
    });
    erasedId = (erased.body as { id: string }).id;
    const erasure = await rest(gw, 'DELETE', `/v1/patients/${erasedId}`, {
      token: gw.partnerA.token,
    });
    expect(erasure.status).toBe(200);
  });
  afterAll(() => gw.close());

  it('moves every sealed value to the new key, and every row reads back with it alone', async () => {
    const oldKey = gw.deps.phi.activeKeyId;
    const ring = await withNewActiveKey(gw.deps.phi.ring, 'rotated-b');

    const reports = await rotateSealedValues(gw.database.db, ring, { batchSize: 7 });
    expect(reports.patients).toMatchObject({
      completed: true,
      rowsRewritten: PATIENTS,
      failures: [],
    });

    const rows = await sealedValues(gw);
    const retired = withoutOldKeys(ring);
    for (const row of rows) {
      if (row.id === erasedId) {
        for (const column of PATIENT_PHI_COLUMNS) expect(row[column] || null).toBeNull();
        continue;
      }
      for (const column of PATIENT_PHI_COLUMNS) {
        const stored = row[column];
        if (stored === null || stored === undefined) continue;
        expect(stored.startsWith('v1.rotated-b.')).toBe(true);
        expect(stored).not.toContain(`v1.${oldKey}.`);
        const context = {
          table: 'patients',
          column,
          organizationId: String(row.organization_id),
          rowId: String(row.id),
        };
        const plain = await decryptPhi(stored, context, retired);
        const input = submitted.get(String(row.id));
        const field = {
          external_id: 'externalId',
          given_name: 'givenName',
          family_name: 'familyName',
          birth_date: 'birthDate',
          email: 'email',
          phone: 'phone',
        }[column];
        expect(plain).toBe(input?.[field]);
      }
    }
  });

  it('is idempotent: a second run rewrites nothing', async () => {
    const ring = await withNewActiveKey(gw.deps.phi.ring, 'rotated-b');
    const before = await sealedValues(gw);
    const again = await rotateSealedValues(gw.database.db, ring);
    expect(again.patients).toMatchObject({ completed: true, rowsRewritten: 0 });
    expect(await sealedValues(gw)).toEqual(before);
  });
});
