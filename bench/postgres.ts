import { randomBytes } from 'node:crypto';
import { importFromApi } from './shared.js';

/** The PostgreSQL server the benchmark creates its database on; the tests use the same one. */
export const ADMIN_URL =
  process.env.TAHOON_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface PgClient {
  connect(): Promise<void>;
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
}

interface PgModule {
  default: { Client: new (options: { connectionString: string }) => PgClient };
}

async function withAdmin<T>(work: (client: PgClient) => Promise<T>): Promise<T> {
  const { default: pg } = await importFromApi<PgModule>('pg');
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one run; drop() removes it even while connections remain. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `tahoon_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}
