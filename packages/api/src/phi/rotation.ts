import { decryptPhi, encryptPhi, type PhiContext } from './cipher.js';
import { PhiDecryptError, type PhiDecryptReason } from './errors.js';
import { storedPhiKeyId } from './format.js';
import type { PhiKeyRing } from './keys.js';

/**
 * Whether a stored value was written under a key other than the ring's active one. Throws
 * `PhiDecryptError` for a value that is not in the stored format at all.
 */
export function needsRotation(stored: string, ring: PhiKeyRing): boolean {
  const keyId = storedPhiKeyId(stored);
  if (keyId === null) throw new PhiDecryptError('malformed', null, null);
  return keyId !== ring.activeKeyId;
}

/**
 * The value re-encrypted under the active key, or the same text when it already is: running it
 * twice changes nothing the second time.
 *
 * @example
 * const next = await reencrypt(row.email, context, ring);
 */
export async function reencrypt(
  stored: string,
  context: PhiContext,
  ring: PhiKeyRing,
): Promise<string> {
  if (!needsRotation(stored, ring)) return stored;
  return encryptPhi(await decryptPhi(stored, context, ring), context, ring);
}

/** One row as the rotation reads it: its encrypted columns, by database column name. */
export interface PhiRotationRow {
  readonly rowId: string;
  readonly organizationId: string;
  readonly fields: Readonly<Record<string, string | null>>;
}

/**
 * One row to rewrite. `previous` holds the values the new ones were made from: the writer
 * updates the row only while every listed column still holds its previous value, so a patient
 * edited since the read keeps the edit (it was written under the active key anyway).
 */
export interface PhiRotationWrite {
  readonly rowId: string;
  readonly organizationId: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly previous: Readonly<Record<string, string>>;
}

export interface PhiRotationFetch {
  readonly activeKeyId: string;
  /** Return only rows whose id sorts after this one (null: from the start). */
  readonly after: string | null;
  readonly limit: number;
}

export interface PhiRotationFailure {
  readonly rowId: string;
  readonly column: string;
  readonly reason: PhiDecryptReason;
}

export interface PhiRotationProgress {
  /** Where a later run resumes: pass it back as `startAfter`. */
  readonly lastRowId: string | null;
  readonly rowsScanned: number;
  readonly rowsRewritten: number;
  /** Rows changed by someone else between read and write, left as they are. */
  readonly conflicts: number;
  /** Fields that could not be decrypted; their rows are not written. */
  readonly failures: readonly PhiRotationFailure[];
}

export interface PhiRotationReport extends PhiRotationProgress {
  /**
   * True when the run reached the end of the table; false when stopped by the signal (resume
   * from `lastRowId`). The rotation is done only when it completed with no failures.
   */
  readonly completed: boolean;
}

export interface PhiRotationOptions {
  /** The table being rotated; part of every value's context. */
  readonly table: string;
  readonly ring: PhiKeyRing;
  /** Rows per read and per write; 100 unless given. */
  readonly batchSize?: number;
  /** Resume after this row id, from a previous run's `lastRowId`. */
  readonly startAfter?: string | null;
  /** Checked between batches; a stopped run can be resumed. */
  readonly signal?: AbortSignal;
  /**
   * Rows with at least one field not under `activeKeyId`, with ids after `after`, ascending by
   * id in code-unit order (in PostgreSQL: `ORDER BY id COLLATE "C"`), at most `limit` of them.
   * A shorter batch means the end. Rows already under the active key may be included; they are
   * skipped.
   */
  fetchBatch(request: PhiRotationFetch): Promise<readonly PhiRotationRow[]>;
  /** Applies the writes conditionally (see `PhiRotationWrite`); returns how many rows changed. */
  writeBatch(writes: readonly PhiRotationWrite[]): Promise<number>;
  /** Called after each batch is written, e.g. to store `lastRowId` as a checkpoint. */
  onBatch?(progress: PhiRotationProgress): void | Promise<void>;
}

const DEFAULT_BATCH_SIZE = 100;

type RowOutcome = { write: PhiRotationWrite | null; failures: PhiRotationFailure[] };

/** Re-encrypts the fields of one row; a row with any unreadable field is not written at all. */
async function rotateRow(
  row: PhiRotationRow,
  table: string,
  ring: PhiKeyRing,
): Promise<RowOutcome> {
  const fields: Record<string, string> = {};
  const previous: Record<string, string> = {};
  const failures: PhiRotationFailure[] = [];

  for (const [column, stored] of Object.entries(row.fields)) {
    if (stored === null) continue;
    const context = { table, column, organizationId: row.organizationId, rowId: row.rowId };
    try {
      const next = await reencrypt(stored, context, ring);
      if (next === stored) continue;
      fields[column] = next;
      previous[column] = stored;
    } catch (error) {
      if (!(error instanceof PhiDecryptError)) throw error;
      failures.push({ rowId: row.rowId, column, reason: error.reason });
    }
  }

  const changed = Object.keys(fields).length > 0 && failures.length === 0;
  const write = changed
    ? { rowId: row.rowId, organizationId: row.organizationId, fields, previous }
    : null;
  return { write, failures };
}

/** Keyset paging only terminates if every batch moves forward; a wiring mistake must not spin. */
function checkOrder(rows: readonly PhiRotationRow[], after: string | null): void {
  let last = after;
  for (const row of rows) {
    if (last !== null && !(row.rowId > last)) {
      throw new Error(
        'PHI rotation: fetchBatch must return rows after the cursor, ascending by id',
      );
    }
    last = row.rowId;
  }
}

/**
 * Moves every encrypted field of a table to the ring's active key, a batch at a time, in the
 * background. Storage is injected, so the same routine runs against the database or an
 * in-memory table.
 *
 * Idempotent: values already under the active key are never rewritten, so a finished run repeated
 * writes nothing. Resumable: paging is by row id, so a stopped or crashed run continues from its
 * last reported `lastRowId` (or from the start, which only costs reads).
 *
 * @example
 * const report = await rotatePhi({ table: 'patients', ring, fetchBatch, writeBatch });
 */
export async function rotatePhi(options: PhiRotationOptions): Promise<PhiRotationReport> {
  const { table, ring, signal } = options;
  const limit = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('PHI rotation batch size');

  let progress: PhiRotationProgress = {
    lastRowId: options.startAfter ?? null,
    rowsScanned: 0,
    rowsRewritten: 0,
    conflicts: 0,
    failures: [],
  };

  for (;;) {
    if (signal?.aborted) return { ...progress, completed: false };
    const after = progress.lastRowId;
    const rows = await options.fetchBatch({ activeKeyId: ring.activeKeyId, after, limit });
    checkOrder(rows, after);

    const outcomes = await Promise.all(rows.map((row) => rotateRow(row, table, ring)));
    const writes = outcomes.flatMap((outcome) => (outcome.write ? [outcome.write] : []));
    const written = writes.length > 0 ? await options.writeBatch(writes) : 0;

    progress = {
      lastRowId: rows.at(-1)?.rowId ?? after,
      rowsScanned: progress.rowsScanned + rows.length,
      rowsRewritten: progress.rowsRewritten + written,
      conflicts: progress.conflicts + writes.length - written,
      failures: [...progress.failures, ...outcomes.flatMap((outcome) => outcome.failures)],
    };
    await options.onBatch?.(progress);

    if (rows.length < limit) return { ...progress, completed: true };
  }
}
