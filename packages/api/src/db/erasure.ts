import { and, eq, gt, inArray, isNull } from 'drizzle-orm';
import { ACTIVE_STATUSES, type Store } from '@tahoon/core';
import { auditRow } from './audit.js';
import { auditEvents, bookings, patients } from './schema.js';
import type { Db } from './store.js';

/**
 * What an erased patient's row holds instead of its sealed fields. The blind index of the
 * external id must stay unique per organization, so it becomes a value no real index can take,
 * and the partner may register the same external id again.
 */
function erasedRow(patientId: string, at: Date) {
  return {
    externalId: '',
    externalIdIndex: `erased:${patientId}`,
    givenName: '',
    familyName: '',
    birthDate: '',
    country: '',
    timeZone: '',
    email: null,
    emailIndex: null,
    phone: null,
    gender: null,
    language: null,
    updatedAt: at,
    erasedAt: at,
  };
}

/**
 * Erasure in one transaction: the patient row is locked (bookings lock it too, so none can be
 * made meanwhile), checked for sessions still to come, emptied, its bookings stripped of free
 * text, and the audit entry written. Either all of it happens or none.
 */
export function createErasureStore(db: Db): Store['erasure'] {
  return {
    async erasePatient(organizationId, patientId, atMs, audit) {
      return db.transaction(async (tx) => {
        const [patient] = await tx
          .select({ id: patients.id })
          .from(patients)
          .where(
            and(
              eq(patients.id, patientId),
              eq(patients.organizationId, organizationId),
              isNull(patients.erasedAt),
            ),
          )
          .for('update');
        if (!patient) return 'not_found' as const;

        const upcoming = await tx
          .select({ id: bookings.id })
          .from(bookings)
          .where(
            and(
              eq(bookings.patientId, patientId),
              inArray(bookings.status, [...ACTIVE_STATUSES]),
              gt(bookings.startAt, new Date(atMs)),
            ),
          )
          .limit(1);
        if (upcoming.length > 0) return 'busy' as const;

        const at = new Date(atMs);
        await tx
          .update(bookings)
          .set({ cancelReason: null, updatedAt: at })
          .where(eq(bookings.patientId, patientId));
        await tx.update(patients).set(erasedRow(patientId, at)).where(eq(patients.id, patientId));
        await tx.insert(auditEvents).values(auditRow(audit));
        return 'erased' as const;
      });
    },
  };
}
