import { and, asc, eq, gt, isNull, or } from 'drizzle-orm';
import {
  fail,
  ok,
  type Patient,
  type PatientCreate,
  type PatientUpdate,
  type Result,
  type Store,
} from '@tahoon/core';
import type { PhiCipher, PhiContext } from '../phi/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { patients } from './schema.js';
import { sqlState, UNIQUE_VIOLATION } from './sql-errors.js';
import type { Db } from './store.js';

type Row = typeof patients.$inferSelect;

/** The patient fields held encrypted, by their column name. */
const SEALED = {
  externalId: 'external_id',
  givenName: 'given_name',
  familyName: 'family_name',
  birthDate: 'birth_date',
  email: 'email',
  phone: 'phone',
} as const;

type SealedField = keyof typeof SEALED;

const exists = (): Result<Patient> =>
  fail('PATIENT_EXISTS', 'A patient with that externalId already exists', [
    { pointer: '/externalId', message: 'is already registered' },
  ]);

/** An erased patient answers nowhere: it exists only as the id its past bookings name. */
const live = isNull(patients.erasedAt);

/**
 * Patients with their identifying fields sealed (AES-256-GCM, bound to the organization, row and
 * column), so a database dump holds no names, emails, phones, birth dates or external ids.
 * Equality lookups go through keyed blind indexes.
 */
export function createPatientStore(db: Db, phi: PhiCipher): Store['patients'] {
  const context = (organizationId: string, rowId: string, field: SealedField): PhiContext => ({
    table: 'patients',
    column: SEALED[field],
    organizationId,
    rowId,
  });

  async function seal(
    orgId: string,
    rowId: string,
    field: SealedField,
    value: string | null | undefined,
  ) {
    if (value === undefined) return undefined;
    if (value === null) return null;
    return phi.encrypt(value, context(orgId, rowId, field));
  }

  async function open(row: Row, field: SealedField): Promise<string | null> {
    const stored = row[field];
    if (stored === null) return null;
    return phi.decrypt(stored, context(row.organizationId, row.id, field));
  }

  async function toPatient(row: Row): Promise<Patient> {
    const [externalId, givenName, familyName, birthDate, email, phone] = await Promise.all(
      (Object.keys(SEALED) as SealedField[]).map((field) => open(row, field)),
    );
    return {
      id: row.id,
      externalId: externalId ?? '',
      givenName: givenName ?? '',
      familyName: familyName ?? '',
      birthDate: birthDate ?? '',
      country: row.country,
      timeZone: row.timeZone,
      email: email ?? null,
      phone: phone ?? null,
      gender: row.gender as Patient['gender'],
      language: row.language,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  async function sealedValues(orgId: string, rowId: string, input: PatientUpdate) {
    const [externalId, givenName, familyName, birthDate, email, phone] = await Promise.all(
      (Object.keys(SEALED) as SealedField[]).map((field) =>
        seal(orgId, rowId, field, input[field]),
      ),
    );
    return {
      externalId,
      givenName,
      familyName,
      birthDate,
      email,
      phone,
      externalIdIndex:
        input.externalId === undefined
          ? undefined
          : await phi.blindIndex('externalId', input.externalId, orgId),
      emailIndex:
        input.email === undefined ? undefined : await phi.blindIndex('email', input.email, orgId),
    };
  }

  return {
    async create(organizationId, id, input: PatientCreate, atMs) {
      const at = new Date(atMs);
      const sealed = await sealedValues(organizationId, id, input);
      try {
        const [row] = await db
          .insert(patients)
          .values({
            id,
            organizationId,
            externalId: sealed.externalId ?? '',
            externalIdIndex: sealed.externalIdIndex ?? '',
            givenName: sealed.givenName ?? '',
            familyName: sealed.familyName ?? '',
            birthDate: sealed.birthDate ?? '',
            email: sealed.email ?? null,
            emailIndex: sealed.emailIndex ?? null,
            phone: sealed.phone ?? null,
            country: input.country,
            timeZone: input.timeZone,
            gender: input.gender ?? null,
            language: input.language ?? null,
            createdAt: at,
            updatedAt: at,
          })
          .returning();
        if (!row) throw new Error('insert returned no row');
        return ok(await toPatient(row));
      } catch (error) {
        if (sqlState(error) === UNIQUE_VIOLATION) return exists();
        throw error;
      }
    },

    async get(organizationId, id) {
      const [row] = await db
        .select()
        .from(patients)
        .where(and(eq(patients.id, id), eq(patients.organizationId, organizationId), live));
      return row ? toPatient(row) : null;
    },

    async update(organizationId, id, patch, atMs) {
      const sealed = await sealedValues(organizationId, id, patch);
      const changes = Object.fromEntries(
        Object.entries({
          ...sealed,
          country: patch.country,
          timeZone: patch.timeZone,
          gender: patch.gender,
          language: patch.language,
        }).filter(([, value]) => value !== undefined),
      );
      try {
        const [row] = await db
          .update(patients)
          .set({ ...changes, updatedAt: new Date(atMs) })
          .where(and(eq(patients.id, id), eq(patients.organizationId, organizationId), live))
          .returning();
        return row ? ok(await toPatient(row)) : fail('NOT_FOUND', `No patient ${id}`);
      } catch (error) {
        if (sqlState(error) === UNIQUE_VIOLATION) return exists();
        throw error;
      }
    },

    async list(organizationId, filter) {
      const after = filter.cursor ? decodeCursor(filter.cursor) : null;
      const externalIdIndex = filter.externalId
        ? await phi.blindIndex('externalId', filter.externalId, organizationId)
        : undefined;
      const rows = await db
        .select()
        .from(patients)
        .where(
          and(
            eq(patients.organizationId, organizationId),
            live,
            externalIdIndex ? eq(patients.externalIdIndex, externalIdIndex) : undefined,
            after
              ? or(
                  gt(patients.createdAt, new Date(after.sortKey)),
                  and(eq(patients.createdAt, new Date(after.sortKey)), gt(patients.id, after.id)),
                )
              : undefined,
          ),
        )
        .orderBy(asc(patients.createdAt), asc(patients.id))
        .limit(filter.limit + 1);
      const more = rows.length > filter.limit;
      const data = await Promise.all(rows.slice(0, filter.limit).map(toPatient));
      const last = data.at(-1);
      return {
        data,
        nextCursor: more && last ? encodeCursor(Date.parse(last.createdAt), last.id) : null,
      };
    },
  };
}
