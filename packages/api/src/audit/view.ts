import { renderInstant, type AuditEventView, type AuditRecord } from '@tahoon/core';

/** The public shape of an audit entry: the organization is implied by the caller. */
export function auditEventView(record: AuditRecord): AuditEventView {
  return {
    id: record.id,
    action: record.action,
    resourceType: record.resourceType,
    resourceIds: record.resourceIds,
    patientId: record.patientId,
    resultCount: record.resultCount,
    outcome: record.outcome,
    problemCode: record.problemCode,
    actor: {
      type: record.actorType,
      credentialId: record.credentialId,
      tokenId: record.tokenId,
    },
    requestId: record.requestId,
    clientIp: record.clientIp,
    occurredAt: renderInstant(record.occurredAtMs),
  };
}
