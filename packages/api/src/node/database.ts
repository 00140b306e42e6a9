import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import type { Store } from '@tahoon/core';
import type { PhiCipher } from '../phi/index.js';
import { createStore, type Db } from '../db/store.js';

/**
 * The committed migrations: beside the sources (`src/node` → `drizzle`) or beside the bundle
 * (`dist` → `drizzle`), whichever this module runs from.
 */
export const MIGRATIONS_FOLDER =
  ['../../drizzle', '../drizzle']
    .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
    .find((folder) => existsSync(folder)) ??
  fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Hand-written SQL that drizzle's schema cannot express (triggers), beside the migrations in
 * the same way. Each file is safe to run again and runs, in name order, after every migration.
 */
export const EXTRA_SQL_FOLDER =
  ['../../drizzle-extra', '../drizzle-extra']
    .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
    .find((folder) => existsSync(folder)) ??
  fileURLToPath(new URL('../../drizzle-extra', import.meta.url));

/** The extra SQL files' contents, in name order. */
export function extraSql(): string[] {
  if (!existsSync(EXTRA_SQL_FOLDER)) return [];
  return readdirSync(EXTRA_SQL_FOLDER)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => readFileSync(join(EXTRA_SQL_FOLDER, name), 'utf8'));
}

/** Any number fits: it only has to be the same in every Tahoon process. */
const MIGRATION_LOCK = 7_248_310;

export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  store: Store;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

async function appliedCount(db: Db): Promise<number> {
  try {
    const result = await db.execute(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    const rows = (result as unknown as { rows: { n: number }[] }).rows;
    return rows[0]?.n ?? 0;
  } catch {
    return 0;
  }
}

function readiness(db: Db) {
  const expected = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
  return async () => (await appliedCount(db)) >= expected;
}

/**
 * Opens PostgreSQL through a pool. Migrations take an advisory lock, so several instances
 * starting together apply each migration once.
 */
export function openPostgres(url: string, phi: PhiCipher, poolSize = 10): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection the server closed (restart, failover, termination) is only dropped from
  // the pool; queries in flight still fail to their callers. Unhandled, it would end the process.
  pool.on('error', () => undefined);
  const db = drizzlePg({ client: pool }) as unknown as Db;
  const close = () => pool.end();
  return {
    kind: 'postgres',
    db,
    store: createStore(db, { ready: readiness(db), close, phi }),
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        await migratePg(drizzlePg({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
        for (const text of extraSql()) await client.query(text);
      } finally {
        await client
          .query('select pg_advisory_unlock($1)', [MIGRATION_LOCK])
          .catch(() => undefined);
        client.release();
      }
    },
    close,
  };
}

/**
 * PostgreSQL's default buffer pool (128 MB) is set up in full when the embedded database opens,
 * though a development database holds a few megabytes: a 16 MB pool keeps the gateway's
 * process about 110 MB smaller. PostgreSQL proper keeps its own configuration.
 */
const EMBEDDED_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * Opens the embedded database: PGlite in a data folder, or in memory when no folder is given.
 * PGlite serves one process at a time.
 */
export async function openPglite(options: {
  phi: PhiCipher;
  dataDir?: string;
  client?: PGlite;
}): Promise<Database> {
  const client =
    options.client ??
    (await PGlite.create(options.dataDir, { startParams: EMBEDDED_START_PARAMS }));
  const db = drizzlePglite({ client }) as unknown as Db;
  const close = () => client.close();
  return {
    kind: 'pglite',
    db,
    store: createStore(db, { ready: readiness(db), close, phi: options.phi }),
    async migrate() {
      await migratePglite(drizzlePglite({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
      for (const text of extraSql()) await client.exec(text);
    },
    close,
  };
}

export async function openDatabase(options: {
  url?: string | undefined;
  dataDir: string;
  poolSize?: number;
  phi: PhiCipher;
}): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.phi, options.poolSize);
  return openPglite({ dataDir: options.dataDir, phi: options.phi });
}
