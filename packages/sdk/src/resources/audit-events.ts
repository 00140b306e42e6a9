import type { Http } from '../http.js';
import type { RequestOptions } from '../options.js';
import type { PagePromise } from '../pagination.js';
import type { AuditEvent, AuditEventListParams } from '../types.js';

/**
 * `client.auditEvents`: your organisation's audit trail. Every access to patient data and every
 * booking change is recorded, successful or refused, with ids only.
 *
 * @example
 * for await (const event of client.auditEvents.list({ resourceId: patientId })) {
 *   console.log(event.occurredAt, event.action, event.outcome);
 * }
 */
export interface AuditEventsApi {
  /**
   * Lists entries newest first. Await it for one page or iterate it for all.
   *
   * @example
   * const { data } = await client.auditEvents.list({ action: 'patient.read', limit: 50 });
   */
  list(params?: AuditEventListParams, options?: RequestOptions): PagePromise<AuditEvent>;
}

export function auditEventsApi(http: Http): AuditEventsApi {
  return {
    list: (params, options) => http.list<AuditEvent>('/v1/audit-events', params, options),
  };
}
