import { sql, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import {
  PATIENT_PHI_COLUMNS,
  rotatePhi,
  type PhiKeyRing,
  type PhiRotationReport,
  type PhiRotationRow,
  type PhiRotationWrite,
} from '../phi/index.js';
import type { Db } from './store.js';

/** A table with sealed columns: each value's context binds the table, column, row and tenant. */
export interface SealedTable {
  table: string;
  columns: readonly string[];
}

/** Every table holding values sealed under the PHI keys. */
export const SEALED_TABLES: SealedTable[] = [{ table: 'patients', columns: PATIENT_PHI_COLUMNS }];

const NAME = /^[a-z_]+$/;

function identifier(name: string): SQL {
  if (!NAME.test(name)) throw new Error(`not a table or column name: ${name}`);
  return sql.raw(`"${name}"`);
}

function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/** Rows with a value not sealed under the active key, after `after`, in code-unit id order. */
function fetchBatch(db: Db, spec: SealedTable) {
  return async ({
    activeKeyId,
    after,
    limit,
  }: {
    activeKeyId: string;
    after: string | null;
    limit: number;
  }): Promise<PhiRotationRow[]> => {
    const current = `v1.${activeKeyId}.%`;
    const stale = sql.join(
      spec.columns.map(
        // An erased patient's columns hold '' (src/db/erasure.ts): nothing sealed to move.
        (c) =>
          sql`(${identifier(c)} is not null and ${identifier(c)} <> '' and ${identifier(c)} not like ${current})`,
      ),
      sql` or `,
    );
    const columns = sql.join(spec.columns.map(identifier), sql`, `);
    const result = await db.execute(sql`
      select id, organization_id, ${columns} from ${identifier(spec.table)}
      where (${stale}) ${after === null ? sql`` : sql`and id collate "C" > ${after}`}
      order by id collate "C" limit ${limit}`);
    return rowsOf<Record<string, string | null>>(result).map((row) => ({
      rowId: String(row.id),
      organizationId: String(row.organization_id),
      fields: Object.fromEntries(spec.columns.map((c) => [c, row[c] || null])),
    }));
  };
}

/** Writes each row only while its columns still hold what was read: edits since then win. */
function writeBatch(db: Db, spec: SealedTable) {
  return async (writes: readonly PhiRotationWrite[]): Promise<number> => {
    let written = 0;
    await db.transaction(async (tx) => {
      for (const write of writes) {
        const sets = Object.entries(write.fields).map(([c, v]) => sql`${identifier(c)} = ${v}`);
        const guards = Object.entries(write.previous).map(([c, v]) => sql`${identifier(c)} = ${v}`);
        const result = await tx.execute(sql`
          update ${identifier(spec.table)} set ${sql.join(sets, sql`, `)}
          where id = ${write.rowId} and organization_id = ${write.organizationId}
            and ${sql.join(guards, sql` and `)}
          returning id`);
        written += rowsOf(result).length;
      }
    });
    return written;
  };
}

/**
 * Moves every sealed value to the active PHI key, table by table, a batch at a time. Safe to run
 * while the gateway serves (rows edited meanwhile are left as edited, already under the active
 * key) and to repeat (a finished rotation writes nothing); stopped by `signal` between batches.
 *
 * @example
 * const reports = await rotateSealedValues(database.db, deps.phi.ring, { log });
 */
export async function rotateSealedValues(
  db: Db,
  ring: PhiKeyRing,
  options: { signal?: AbortSignal; batchSize?: number; log?: Logger } = {},
): Promise<Record<string, PhiRotationReport>> {
  const reports: Record<string, PhiRotationReport> = {};
  for (const spec of SEALED_TABLES) {
    const report = await rotatePhi({
      table: spec.table,
      ring,
      batchSize: options.batchSize,
      signal: options.signal,
      fetchBatch: fetchBatch(db, spec),
      writeBatch: writeBatch(db, spec),
    });
    reports[spec.table] = report;
    if (report.rowsRewritten > 0 || report.failures.length > 0) {
      options.log?.info(
        {
          table: spec.table,
          activeKeyId: ring.activeKeyId,
          rowsRewritten: report.rowsRewritten,
          conflicts: report.conflicts,
          failures: report.failures.length,
          completed: report.completed,
        },
        'sealed values moved to the active PHI key',
      );
    }
  }
  return reports;
}
