import { and, desc, eq, gte, lt, or, sql } from 'drizzle-orm';
import type { AuditAction, AuditRecord, AuditResource, AuditOutcome, Store } from '@tahoon/core';
import { decodeCursor, encodeCursor } from './cursor.js';
import { auditEvents } from './schema.js';
import type { Db } from './store.js';

type Row = typeof auditEvents.$inferSelect;

export function auditRow(record: AuditRecord): typeof auditEvents.$inferInsert {
  const { occurredAtMs, ...rest } = record;
  return { ...rest, occurredAt: new Date(occurredAtMs) };
}

function toRecord(row: Row): AuditRecord {
  return {
    id: row.id,
    organizationId: row.organizationId,
    actorType: row.actorType === 'operator' ? 'operator' : 'partner',
    credentialId: row.credentialId,
    tokenId: row.tokenId,
    action: row.action as AuditAction,
    resourceType: row.resourceType as AuditResource,
    resourceIds: row.resourceIds,
    patientId: row.patientId,
    resultCount: row.resultCount,
    outcome: row.outcome as AuditOutcome,
    problemCode: row.problemCode,
    requestId: row.requestId,
    clientIp: row.clientIp,
    occurredAtMs: row.occurredAt.getTime(),
  };
}

/** Entries that name the id as one of their resources or as their patient. */
function about(id: string) {
  return or(
    eq(auditEvents.patientId, id),
    sql`${auditEvents.resourceIds} @> ${JSON.stringify([id])}::jsonb`,
  );
}

/**
 * The audit trail: append and list, nothing else, so no code path can change history. The
 * database refuses UPDATE and DELETE as well (drizzle-extra/audit_events_append_only.sql).
 */
export function createAuditStore(db: Db): Store['audit'] {
  return {
    async append(record) {
      await db.insert(auditEvents).values(auditRow(record));
    },

    async list(organizationId, filter) {
      const after = filter.cursor ? decodeCursor(filter.cursor) : null;
      const rows = await db
        .select()
        .from(auditEvents)
        .where(
          and(
            eq(auditEvents.organizationId, organizationId),
            filter.action ? eq(auditEvents.action, filter.action) : undefined,
            filter.resourceId ? about(filter.resourceId) : undefined,
            filter.fromMs === undefined
              ? undefined
              : gte(auditEvents.occurredAt, new Date(filter.fromMs)),
            filter.toMs === undefined
              ? undefined
              : lt(auditEvents.occurredAt, new Date(filter.toMs)),
            after ? lt(auditEvents.sequence, after.sortKey) : undefined,
          ),
        )
        .orderBy(desc(auditEvents.sequence))
        .limit(filter.limit + 1);
      const more = rows.length > filter.limit;
      const kept = rows.slice(0, filter.limit);
      const last = kept.at(-1);
      return {
        data: kept.map(toRecord),
        nextCursor: more && last ? encodeCursor(last.sequence, last.id) : null,
      };
    },
  };
}
