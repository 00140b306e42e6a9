import {
  and,
  asc,
  count,
  eq,
  getTableColumns,
  gt,
  gte,
  inArray,
  lt,
  ne,
  or,
  sql,
} from 'drizzle-orm';
import type { PgAsyncDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import {
  ACTIVE_STATUSES,
  fail,
  ok,
  type Booking,
  type BookingListFilter,
  type BookingStatus,
  type CancelledBy,
  type Interval,
  type Page,
  type ProviderRecord,
  type Result,
  type Store,
  type VideoRoom,
} from '@tahoon/core';
import type { PhiCipher } from '../phi/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { createCredentialStore, createRevokedTokenStore } from './credentials.js';
import { createAuditStore } from './audit.js';
import { createErasureStore } from './erasure.js';
import { createIdempotencyStore } from './idempotency.js';
import { createNotificationStore } from './notifications.js';
import { createPatientStore } from './patients.js';
import { bookings, organizations, patients, providers } from './schema.js';
import { createSigningStore } from './signing.js';

export type Db = PgAsyncDatabase<PgQueryResultHKT>;

function toProvider(row: typeof providers.$inferSelect): ProviderRecord {
  const { updatedAt: _updatedAt, ...rest } = row;
  return rest as ProviderRecord;
}

export function toBooking(row: typeof bookings.$inferSelect): Booking {
  const video: VideoRoom | null =
    row.roomId && row.videoProvider && row.patientJoinUrl && row.providerJoinUrl
      ? {
          provider: row.videoProvider,
          roomId: row.roomId,
          patientJoinUrl: row.patientJoinUrl,
          providerJoinUrl: row.providerJoinUrl,
        }
      : null;
  return {
    id: row.id,
    organizationId: row.organizationId,
    patientId: row.patientId,
    providerId: row.providerId,
    status: row.status as BookingStatus,
    startMs: row.startAt.getTime(),
    endMs: row.endAt.getTime(),
    blockedUntilMs: row.blockedUntil.getTime(),
    duration: row.duration,
    price: { amount: row.priceAmount, currency: row.priceCurrency as Booking['price']['currency'] },
    video,
    cancellation:
      row.cancelledAt && row.cancelledBy
        ? {
            by: row.cancelledBy as CancelledBy,
            atMs: row.cancelledAt.getTime(),
            reason: row.cancelReason,
            late: row.cancelLate ?? false,
          }
        : null,
    history: row.history,
    createdAtMs: row.createdAt.getTime(),
  };
}

function page<T extends { id: string }>(
  rows: T[],
  limit: number,
  sortKey: (row: T) => number,
): Page<T> {
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  const last = data.at(-1);
  return { data, nextCursor: more && last ? encodeCursor(sortKey(last), last.id) : null };
}

const activeStatus = inArray(bookings.status, [...ACTIVE_STATUSES]);

/**
 * Decides, inside the booking transaction and after the provider and patient rows are locked,
 * whether the new booking collides with an active one.
 */
export async function findConflict(tx: Db, booking: Booking): Promise<Result<null>> {
  // A booking being moved never clashes with its own old times.
  const others = ne(bookings.id, booking.id);
  const providerClash = await tx
    .select({ id: bookings.id })
    .from(bookings)
    .where(
      and(
        eq(bookings.providerId, booking.providerId),
        others,
        activeStatus,
        lt(bookings.startAt, new Date(booking.blockedUntilMs)),
        gt(bookings.blockedUntil, new Date(booking.startMs)),
      ),
    )
    .limit(1);
  if (providerClash.length > 0) {
    return fail('SLOT_UNAVAILABLE', 'The provider is already booked at that time');
  }

  const patientClash = await tx
    .select({ id: bookings.id })
    .from(bookings)
    .where(
      and(
        eq(bookings.patientId, booking.patientId),
        others,
        activeStatus,
        lt(bookings.startAt, new Date(booking.endMs)),
        gt(bookings.endAt, new Date(booking.startMs)),
      ),
    )
    .limit(1);
  if (patientClash.length > 0) {
    return fail('PATIENT_BUSY', 'The patient already has a session that overlaps that time');
  }
  return ok(null);
}

/**
 * Locks the provider's row, then the patient's. The order is always the same, so two bookings
 * never deadlock; the locks serialise every booking of one provider and of one patient, so the
 * overlap check that follows cannot race another write (see docs/adr/0001).
 */
export async function lockParties(tx: Db, booking: Pick<Booking, 'providerId' | 'patientId'>) {
  await tx
    .select({ id: providers.id })
    .from(providers)
    .where(eq(providers.id, booking.providerId))
    .for('update');
  await tx
    .select({ id: patients.id })
    .from(patients)
    .where(eq(patients.id, booking.patientId))
    .for('update');
}

export async function isErased(tx: Db, patientId: string): Promise<boolean> {
  const [row] = await tx
    .select({ erasedAt: patients.erasedAt })
    .from(patients)
    .where(eq(patients.id, patientId));
  return row?.erasedAt != null;
}

export function bookingRow(booking: Booking, atMs: number): typeof bookings.$inferInsert {
  return {
    id: booking.id,
    organizationId: booking.organizationId,
    patientId: booking.patientId,
    providerId: booking.providerId,
    status: booking.status,
    startAt: new Date(booking.startMs),
    endAt: new Date(booking.endMs),
    blockedUntil: new Date(booking.blockedUntilMs),
    duration: booking.duration,
    priceAmount: booking.price.amount,
    priceCurrency: booking.price.currency,
    history: booking.history,
    createdAt: new Date(booking.createdAtMs),
    updatedAt: new Date(atMs),
  };
}

/**
 * How long a provider record read from the database is served from memory. Providers change
 * only through an import: one made through this store clears the memory at once, one made by
 * another process (the CLI against PostgreSQL) shows within this time. No booking relies on it
 * for correctness: the booking transaction locks and reads the database itself.
 */
export const PROVIDER_CACHE_MS = 5_000;

/**
 * Provider reads served from memory for {@link PROVIDER_CACHE_MS}; only known ids are kept. A
 * read that began before an import finished is not remembered, so it cannot outlive the import.
 */
function providerCache() {
  const byId = new Map<string, { record: ProviderRecord; until: number }>();
  let roster: { records: ProviderRecord[]; until: number } | null = null;
  let generation = 0;
  return {
    async get(id: string, load: () => Promise<ProviderRecord | null>) {
      const hit = byId.get(id);
      if (hit && hit.until > performance.now()) return hit.record;
      const started = generation;
      const record = await load();
      if (record && started === generation) {
        byId.set(id, { record, until: performance.now() + PROVIDER_CACHE_MS });
      }
      return record;
    },
    async all(load: () => Promise<ProviderRecord[]>) {
      if (roster && roster.until > performance.now()) return [...roster.records];
      const started = generation;
      const records = await load();
      if (started === generation)
        roster = { records, until: performance.now() + PROVIDER_CACHE_MS };
      return [...records];
    },
    clear() {
      generation++;
      byId.clear();
      roster = null;
    },
  };
}

/** On conflict, a provider row takes every column of the imported one (all are required). */
const REPLACE_PROVIDER = Object.fromEntries(
  Object.entries(getTableColumns(providers))
    .filter(([key]) => key !== 'id')
    .map(([key, column]) => [key, sql`excluded.${sql.identifier(column.name)}`]),
);

/** Rows per insert statement: well under PostgreSQL's 65,535 bound parameters. */
const UPSERT_BATCH = 500;

/**
 * An import in a few statements rather than one per row (the demo seed runs at every start).
 * One statement may not touch a row twice, so a repeated id keeps its last row, as the
 * row-by-row import did.
 */
function upsertBatches<T extends { id: string }>(rows: readonly T[]): T[][] {
  const unique = [...new Map(rows.map((row) => [row.id, row])).values()];
  const batches: T[][] = [];
  for (let i = 0; i < unique.length; i += UPSERT_BATCH) {
    batches.push(unique.slice(i, i + UPSERT_BATCH));
  }
  return batches;
}

/**
 * The drizzle implementation of the domain's {@link Store}, for PGlite and PostgreSQL alike.
 *
 * @example
 * const store = createStore(drizzle({ client: pool }), { migrationsApplied });
 */
export interface StoreOptions {
  ready: () => Promise<boolean>;
  close: () => Promise<void>;
  /** Seals patient data at rest; see src/phi. */
  phi: PhiCipher;
}

export function createStore(db: Db, options: StoreOptions): Store {
  const providerMemory = providerCache();
  return {
    organizations: {
      async create(org) {
        await db.insert(organizations).values({ ...org, createdAt: new Date(org.createdAtMs) });
      },
      async get(id) {
        const [row] = await db.select().from(organizations).where(eq(organizations.id, id));
        return row ? { id: row.id, name: row.name, createdAtMs: row.createdAt.getTime() } : null;
      },
    },

    credentials: createCredentialStore(db),
    revokedTokens: createRevokedTokenStore(db),

    patients: createPatientStore(db, options.phi),
    idempotency: createIdempotencyStore(db),

    providers: {
      get(id) {
        return providerMemory.get(id, async () => {
          const [row] = await db.select().from(providers).where(eq(providers.id, id));
          return row ? toProvider(row) : null;
        });
      },
      search() {
        return providerMemory.all(async () => {
          const rows = await db.select().from(providers).orderBy(asc(providers.id));
          return rows.map(toProvider);
        });
      },
      async upsert(rows) {
        if (rows.length === 0) return;
        const now = new Date();
        providerMemory.clear();
        try {
          await db.transaction(async (tx) => {
            for (const batch of upsertBatches(rows)) {
              await tx
                .insert(providers)
                .values(batch.map((row) => ({ ...row, updatedAt: now })))
                .onConflictDoUpdate({ target: providers.id, set: REPLACE_PROVIDER });
            }
          });
        } finally {
          providerMemory.clear();
        }
      },
      async count() {
        const [row] = await db.select({ n: count() }).from(providers);
        return row?.n ?? 0;
      },
    },

    bookings: {
      async insertIfFree(booking) {
        return db.transaction(async (tx) => {
          await lockParties(tx, booking);
          // An erasure may have committed while this booking waited for the patient's lock.
          if (await isErased(tx, booking.patientId)) {
            return fail<Booking>('NOT_FOUND', `No patient ${booking.patientId}`);
          }
          const conflict = await findConflict(tx, booking);
          if (!conflict.ok) return fail<Booking>(conflict.failure.code, conflict.failure.detail);

          await tx.insert(bookings).values(bookingRow(booking, booking.createdAtMs));
          return ok(booking);
        });
      },
      async moveIfFree(moved, from, atMs) {
        return db.transaction(async (tx) => {
          await lockParties(tx, moved);
          const conflict = await findConflict(tx, moved);
          if (!conflict.ok) return fail<Booking>(conflict.failure.code, conflict.failure.detail);

          const [row] = await tx
            .update(bookings)
            .set({
              startAt: new Date(moved.startMs),
              endAt: new Date(moved.endMs),
              blockedUntil: new Date(moved.blockedUntilMs),
              duration: moved.duration,
              priceAmount: moved.price.amount,
              priceCurrency: moved.price.currency,
              history: moved.history,
              updatedAt: new Date(atMs),
            })
            .where(
              and(
                eq(bookings.id, moved.id),
                eq(bookings.status, from.status),
                eq(bookings.startAt, new Date(from.startMs)),
              ),
            )
            .returning();
          if (!row)
            return fail<Booking>('INVALID_STATE', 'The booking changed meanwhile; read it again');
          return ok(toBooking(row));
        });
      },
      async expireHolds(olderThanMs, atMs) {
        const rows = await db
          .update(bookings)
          .set({ status: 'failed', updatedAt: new Date(atMs) })
          .where(and(eq(bookings.status, 'pending'), lt(bookings.createdAt, new Date(olderThanMs))))
          .returning({ id: bookings.id });
        return rows.map((r) => r.id);
      },
      async get(organizationId, id) {
        const [row] = await db
          .select()
          .from(bookings)
          .where(and(eq(bookings.id, id), eq(bookings.organizationId, organizationId)));
        return row ? toBooking(row) : null;
      },
      async getAny(id) {
        const [row] = await db.select().from(bookings).where(eq(bookings.id, id));
        return row ? toBooking(row) : null;
      },
      async list(organizationId, filter: BookingListFilter) {
        const after = filter.cursor ? decodeCursor(filter.cursor) : null;
        const rows = await db
          .select()
          .from(bookings)
          .where(
            and(
              eq(bookings.organizationId, organizationId),
              filter.patientId ? eq(bookings.patientId, filter.patientId) : undefined,
              filter.providerId ? eq(bookings.providerId, filter.providerId) : undefined,
              filter.status ? eq(bookings.status, filter.status) : undefined,
              filter.fromMs === undefined
                ? undefined
                : gte(bookings.startAt, new Date(filter.fromMs)),
              filter.toMs === undefined ? undefined : lt(bookings.startAt, new Date(filter.toMs)),
              after
                ? or(
                    gt(bookings.startAt, new Date(after.sortKey)),
                    and(eq(bookings.startAt, new Date(after.sortKey)), gt(bookings.id, after.id)),
                  )
                : undefined,
            ),
          )
          .orderBy(asc(bookings.startAt), asc(bookings.id))
          .limit(filter.limit + 1);
        return page(rows.map(toBooking), filter.limit, (b) => b.startMs);
      },
      async busy(providerId, fromMs, toMs): Promise<Interval[]> {
        const rows = await db
          .select({ start: bookings.startAt, until: bookings.blockedUntil })
          .from(bookings)
          .where(
            and(
              eq(bookings.providerId, providerId),
              activeStatus,
              lt(bookings.startAt, new Date(toMs)),
              gt(bookings.blockedUntil, new Date(fromMs)),
            ),
          );
        return rows.map((r) => ({ startMs: r.start.getTime(), endMs: r.until.getTime() }));
      },
      async hasHistory(organizationId, patientId, providerId) {
        const rows = await db
          .select({ id: bookings.id })
          .from(bookings)
          .where(
            and(
              eq(bookings.organizationId, organizationId),
              eq(bookings.patientId, patientId),
              eq(bookings.providerId, providerId),
              inArray(bookings.status, ['confirmed', 'completed', 'no_show', 'pending']),
            ),
          )
          .limit(1);
        return rows.length > 0;
      },
      async confirm(id, video) {
        const [row] = await db
          .update(bookings)
          .set({
            status: 'confirmed',
            videoProvider: video.provider,
            roomId: video.roomId,
            patientJoinUrl: video.patientJoinUrl,
            providerJoinUrl: video.providerJoinUrl,
            updatedAt: new Date(),
          })
          .where(and(eq(bookings.id, id), eq(bookings.status, 'pending')))
          .returning();
        return row ? toBooking(row) : null;
      },
      async discard(id) {
        await db.delete(bookings).where(and(eq(bookings.id, id), eq(bookings.status, 'pending')));
      },
      async setStatus(id, from, to, cancellation) {
        const [row] = await db
          .update(bookings)
          .set({
            status: to,
            updatedAt: new Date(),
            ...(cancellation
              ? {
                  cancelledBy: cancellation.by,
                  cancelledAt: new Date(cancellation.atMs),
                  cancelReason: cancellation.reason,
                  cancelLate: cancellation.late,
                }
              : {}),
          })
          .where(and(eq(bookings.id, id), eq(bookings.status, from)))
          .returning();
        return row ? toBooking(row) : null;
      },
    },

    notifications: createNotificationStore(db, options.phi),
    signing: createSigningStore(db),

    ready: options.ready,
    close: options.close,
    audit: createAuditStore(db),
    erasure: createErasureStore(db),
  };
}

/** For diagnostics and tests: counts rows without loading them. */
export async function countActiveOverlaps(db: Db): Promise<number> {
  const result = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from bookings a join bookings b
      on a.provider_id = b.provider_id and a.id < b.id
     where a.status in ('pending', 'confirmed') and b.status in ('pending', 'confirmed')
       and a.start_at < b.blocked_until and b.start_at < a.blocked_until`);
  const rows = (result as unknown as { rows: { n: number }[] }).rows;
  return rows[0]?.n ?? 0;
}
