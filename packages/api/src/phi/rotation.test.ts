import { describe, expect, it } from 'vitest';
import { decryptPhi, encryptPhi } from './cipher.js';
import { PhiDecryptError } from './errors.js';
import { storedPhiKeyId } from './format.js';
import { createPhiKeyRing, type PhiKeyEntry, type PhiKeyRing } from './keys.js';
import {
  needsRotation,
  reencrypt,
  rotatePhi,
  type PhiRotationFetch,
  type PhiRotationRow,
  type PhiRotationWrite,
} from './rotation.js';

const randomKey = () => crypto.getRandomValues(new Uint8Array(32));
const KEY_A: PhiKeyEntry = { id: 'a', bytes: randomKey() };
const KEY_B: PhiKeyEntry = { id: 'b', bytes: randomKey() };
const INDEX_KEY = randomKey();

const ringOf = (keys: PhiKeyEntry[], activeKeyId: string) =>
  createPhiKeyRing({ keys, activeKeyId, indexKey: INDEX_KEY });

const COLUMNS = ['given_name', 'family_name', 'email', 'phone'] as const;
type Column = (typeof COLUMNS)[number];
type Row = { organizationId: string; fields: Record<Column, string | null> };

const contextOf = (rowId: string, organizationId: string, column: string) => ({
  table: 'patients',
  column,
  organizationId,
  rowId,
});

function plaintextOf(index: number, column: Column): string | null {
  if (column === 'phone' && index % 3 === 0) return null;
  const values = {
    given_name: `Given${index}`,
    family_name: `Family ${index}`,
    email: `patient${index}@example.org`,
    phone: `+9665${String(index).padStart(8, '0')}`,
  };
  return values[column];
}

/**
 * A patients table in memory, with the storage contract the rotation expects: keyset paging by
 * id over rows holding a value not under the active key, and conditional writes.
 */
class MemoryTable {
  readonly rows = new Map<string, Row>();
  writes = 0;
  /** Runs between a batch's read and its write, to simulate a concurrent edit. */
  beforeWrite: (() => Promise<void>) | null = null;

  fetchBatch = async (request: PhiRotationFetch): Promise<PhiRotationRow[]> => {
    const after = request.after;
    const ids = [...this.rows.keys()].sort().filter((id) => after === null || id > after);
    const due = ids.filter((id) => this.isDue(id, request.activeKeyId));
    return due.slice(0, request.limit).map((rowId) => {
      const row = this.get(rowId);
      return { rowId, organizationId: row.organizationId, fields: { ...row.fields } };
    });
  };

  writeBatch = async (writes: readonly PhiRotationWrite[]): Promise<number> => {
    await this.beforeWrite?.();
    let written = 0;
    for (const write of writes) {
      const row = this.get(write.rowId);
      const unchanged = Object.entries(write.previous).every(
        ([column, value]) => row.fields[column as Column] === value,
      );
      if (!unchanged) continue;
      Object.assign(row.fields, write.fields);
      written += 1;
    }
    this.writes += written;
    return written;
  };

  get(rowId: string): Row {
    const row = this.rows.get(rowId);
    if (!row) throw new Error(`no row ${rowId}`);
    return row;
  }

  /** The two callbacks the rotation is given. */
  storage() {
    return { fetchBatch: this.fetchBatch, writeBatch: this.writeBatch };
  }

  snapshot(): string {
    return JSON.stringify([...this.rows.entries()]);
  }

  private isDue(rowId: string, activeKeyId: string): boolean {
    const values = Object.values(this.get(rowId).fields);
    return values.some((value) => value !== null && storedPhiKeyId(value) !== activeKeyId);
  }
}

const rowIdOf = (index: number) => `pat_${String(index).padStart(6, '0')}`;
const organizationOf = (index: number) => (index % 2 === 0 ? 'org_partnera' : 'org_partnerb');

/** `count` patients; the first `underA` written under key A, the rest already under B. */
async function seedTable(count: number, underA: number): Promise<MemoryTable> {
  const ringA = await ringOf([KEY_A], 'a');
  const ringB = await ringOf([KEY_B], 'b');
  const table = new MemoryTable();
  for (let index = 0; index < count; index += 1) {
    const rowId = rowIdOf(index);
    const organizationId = organizationOf(index);
    const ring = index < underA ? ringA : ringB;
    const fields = {} as Record<Column, string | null>;
    for (const column of COLUMNS) {
      const plain = plaintextOf(index, column);
      const context = contextOf(rowId, organizationId, column);
      fields[column] = plain === null ? null : await encryptPhi(plain, context, ring);
    }
    table.rows.set(rowId, { organizationId, fields });
  }
  return table;
}

async function expectEveryRowReadsBack(table: MemoryTable, ring: PhiKeyRing): Promise<void> {
  for (const [rowId, row] of table.rows) {
    const index = Number(rowId.slice(4));
    for (const column of COLUMNS) {
      const stored = row.fields[column];
      const expected = plaintextOf(index, column);
      if (stored === null || expected === null) {
        expect(stored).toBe(expected);
        continue;
      }
      expect(await decryptPhi(stored, contextOf(rowId, row.organizationId, column), ring)).toBe(
        expected,
      );
    }
  }
}

function keyIdsIn(table: MemoryTable): Set<string | null> {
  const values = [...table.rows.values()].flatMap((row) => Object.values(row.fields));
  return new Set(values.filter((value) => value !== null).map((value) => storedPhiKeyId(value)));
}

describe('needsRotation and reencrypt', () => {
  it('tell values under an old key from values under the active one', async () => {
    const ringA = await ringOf([KEY_A], 'a');
    const ringAB = await ringOf([KEY_A, KEY_B], 'b');
    const context = contextOf('pat_1', 'org_partnera', 'email');
    const underA = await encryptPhi('sara@example.org', context, ringA);

    expect(needsRotation(underA, ringA)).toBe(false);
    expect(needsRotation(underA, ringAB)).toBe(true);
    expect(() => needsRotation('sara@example.org', ringAB)).toThrow(PhiDecryptError);
  });

  it('re-encrypts under the active key once, then leaves the value alone', async () => {
    const ringAB = await ringOf([KEY_A, KEY_B], 'b');
    const context = contextOf('pat_1', 'org_partnera', 'email');
    const underA = await encryptPhi('sara@example.org', context, await ringOf([KEY_A], 'a'));

    const underB = await reencrypt(underA, context, ringAB);
    expect(storedPhiKeyId(underB)).toBe('b');
    expect(await decryptPhi(underB, context, await ringOf([KEY_B], 'b'))).toBe('sara@example.org');
    expect(await reencrypt(underB, context, ringAB)).toBe(underB);
  });

  it('refuses to re-encrypt a value read in the wrong context', async () => {
    const ringAB = await ringOf([KEY_A, KEY_B], 'b');
    const context = contextOf('pat_1', 'org_partnera', 'email');
    const underA = await encryptPhi('sara@example.org', context, await ringOf([KEY_A], 'a'));
    const elsewhere = { ...context, organizationId: 'org_partnerb' };

    await expect(reencrypt(underA, elsewhere, ringAB)).rejects.toThrow(PhiDecryptError);
  });
});

describe('rotatePhi', () => {
  it('moves every row to the active key and every row reads back', async () => {
    const table = await seedTable(250, 180);
    const ring = await ringOf([KEY_A, KEY_B], 'b');
    const batches: number[] = [];

    const report = await rotatePhi({
      table: 'patients',
      ring,
      batchSize: 40,
      fetchBatch: table.fetchBatch,
      writeBatch: table.writeBatch,
      onBatch: (progress) => void batches.push(progress.rowsScanned),
    });

    expect(report).toMatchObject({ completed: true, rowsScanned: 180, rowsRewritten: 180 });
    expect(report).toMatchObject({ conflicts: 0, failures: [], lastRowId: rowIdOf(179) });
    expect(batches).toEqual([40, 80, 120, 160, 180]);
    expect(keyIdsIn(table)).toEqual(new Set(['b']));
    await expectEveryRowReadsBack(table, await ringOf([KEY_B], 'b'));
  });

  it('is idempotent: a second run finds nothing and writes nothing', async () => {
    const table = await seedTable(60, 60);
    const ring = await ringOf([KEY_A, KEY_B], 'b');
    const options = { table: 'patients', ring, batchSize: 25, ...table.storage() };
    await rotatePhi(options);
    const after = table.snapshot();

    const again = await rotatePhi(options);
    expect(again).toMatchObject({ completed: true, rowsScanned: 0, rowsRewritten: 0 });
    expect(table.snapshot()).toBe(after);
  });

  it('skips rows the fetch returns that are already under the active key', async () => {
    const table = await seedTable(10, 0);
    const ring = await ringOf([KEY_A, KEY_B], 'b');
    const before = table.snapshot();
    const everyRow = (request: PhiRotationFetch) =>
      table.fetchBatch({ ...request, activeKeyId: 'a' });

    const report = await rotatePhi({
      table: 'patients',
      ring,
      fetchBatch: everyRow,
      writeBatch: table.writeBatch,
    });
    expect(report).toMatchObject({ rowsScanned: 10, rowsRewritten: 0 });
    expect(table.writes).toBe(0);
    expect(table.snapshot()).toBe(before);
  });

  it('stops when asked and resumes from its last row id', async () => {
    const table = await seedTable(100, 100);
    const ring = await ringOf([KEY_A, KEY_B], 'b');
    const stop = new AbortController();
    const first = await rotatePhi({
      table: 'patients',
      ring,
      batchSize: 30,
      signal: stop.signal,
      fetchBatch: table.fetchBatch,
      writeBatch: table.writeBatch,
      onBatch: (progress) => {
        if (progress.rowsScanned >= 60) stop.abort();
      },
    });

    expect(first).toMatchObject({ completed: false, rowsRewritten: 60, lastRowId: rowIdOf(59) });
    expect(keyIdsIn(table)).toEqual(new Set(['a', 'b']));
    expect(storedPhiKeyId(table.get(rowIdOf(60)).fields.email ?? '')).toBe('a');

    const resumed = await rotatePhi({
      table: 'patients',
      ring,
      batchSize: 30,
      startAfter: first.lastRowId,
      fetchBatch: table.fetchBatch,
      writeBatch: table.writeBatch,
    });
    expect(resumed).toMatchObject({ completed: true, rowsScanned: 40, rowsRewritten: 40 });
    expect(keyIdsIn(table)).toEqual(new Set(['b']));
    await expectEveryRowReadsBack(table, ring);
  });

  it('keeps an edit made between its read and its write', async () => {
    const table = await seedTable(5, 5);
    const ring = await ringOf([KEY_A, KEY_B], 'b');
    const edited = rowIdOf(2);
    const context = contextOf(edited, organizationOf(2), 'email');
    const newEmail = await encryptPhi('new.address@example.org', context, ring);
    table.beforeWrite = async () => {
      table.get(edited).fields.email = newEmail;
      table.beforeWrite = null;
    };

    const report = await rotatePhi({ table: 'patients', ring, ...table.storage() });
    expect(report).toMatchObject({ rowsScanned: 5, rowsRewritten: 4, conflicts: 1 });
    expect(table.get(edited).fields.email).toBe(newEmail);
    expect(await decryptPhi(newEmail, context, ring)).toBe('new.address@example.org');

    const again = await rotatePhi({ table: 'patients', ring, ...table.storage() });
    expect(again).toMatchObject({ rowsScanned: 1, rowsRewritten: 1, conflicts: 0 });
    expect(keyIdsIn(table)).toEqual(new Set(['b']));
  });

  it('reports an unreadable field and writes nothing of its row', async () => {
    const table = await seedTable(6, 6);
    const ring = await ringOf([KEY_A, KEY_B], 'b');
    const damaged = table.get(rowIdOf(3));
    damaged.fields.family_name = table.get(rowIdOf(4)).fields.family_name;
    const damagedBefore = JSON.stringify(damaged);

    const report = await rotatePhi({ table: 'patients', ring, ...table.storage() });
    expect(report).toMatchObject({ completed: true, rowsScanned: 6, rowsRewritten: 5 });
    expect(report.failures).toEqual([
      { rowId: rowIdOf(3), column: 'family_name', reason: 'authentication' },
    ]);
    expect(JSON.stringify(table.get(rowIdOf(3)))).toBe(damagedBefore);
    expect(JSON.stringify(report)).not.toContain('Family');
  });

  it('writes nothing when the ring has lost the old key', async () => {
    const table = await seedTable(8, 8);
    const before = table.snapshot();

    const withoutA = await ringOf([KEY_B], 'b');
    const report = await rotatePhi({ table: 'patients', ring: withoutA, ...table.storage() });
    expect(report.rowsRewritten).toBe(0);
    const reasons = new Set(report.failures.map((failure) => failure.reason));
    expect(reasons).toEqual(new Set(['unknown-key']));
    expect(table.writes).toBe(0);
    expect(table.snapshot()).toBe(before);
  });

  it('refuses a fetch that does not move forward, before writing anything', async () => {
    const table = await seedTable(4, 4);
    const ring = await ringOf([KEY_A, KEY_B], 'b');
    const before = table.snapshot();
    const backwards = async (request: PhiRotationFetch) =>
      (await table.fetchBatch({ ...request, after: null })).reverse();

    await expect(
      rotatePhi({ table: 'patients', ring, fetchBatch: backwards, writeBatch: table.writeBatch }),
    ).rejects.toThrow(/ascending/);
    expect(table.snapshot()).toBe(before);
    const zeroBatch = rotatePhi({ table: 'patients', ring, batchSize: 0, ...table.storage() });
    await expect(zeroBatch).rejects.toThrow(RangeError);
  });
});
