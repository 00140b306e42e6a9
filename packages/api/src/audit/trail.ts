import {
  isId,
  TahoonError,
  type AuditAction,
  type AuditOutcome,
  type AuditRecord,
  type AuditResource,
  type ErrorCode,
  type IdGenerator,
  type Store,
} from '@tahoon/core';
import type { Logger } from 'pino';
import type { Principal } from '../auth.js';
import { classify } from '../trpc/errors.js';

/** What a procedure declares in `meta.audit` to have each call recorded. */
export interface AuditSpec {
  action: AuditAction;
  resource: AuditResource;
}

/**
 * Filled in by a procedure when the generic reading of its input and result is not enough, or
 * when it wrote its own entry inside its transaction (erasure) and the trail must not add one.
 */
export interface AuditNote {
  recorded?: boolean;
  resourceIds?: string[];
  patientId?: string;
}

/** Who made the call and from where, as the trail records it. */
export interface AuditCaller {
  principal: Principal;
  requestId: string;
  clientIp: string | null;
}

/**
 * Reads answer with patient data. If their entry cannot be written the data is not disclosed:
 * an unaudited read is worse than a failed one. Changes have already happened when the entry is
 * written, so their answer stands (see {@link appendOrLog}).
 */
const DISCLOSING: ReadonlySet<AuditAction> = new Set([
  'patient.read',
  'patient.list',
  'patient.export',
  'booking.read',
  'booking.list',
]);

const PREFIX = { patient: 'pat', booking: 'bkg' } as const;

/** Attempts at writing an entry for a change before it is logged for replay instead. */
const APPEND_ATTEMPTS = 3;

function outcomeOf(code: ErrorCode): AuditOutcome {
  if (code === 'FORBIDDEN') return 'denied';
  if (code === 'NOT_FOUND') return 'not_found';
  return 'failed';
}

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;

/** A value from the caller's input, kept only if it is an id of the expected kind: never text. */
function inputId(raw: unknown, key: string, prefix: 'pat' | 'bkg'): string | undefined {
  const value = field(raw, key);
  return typeof value === 'string' && isId(prefix, value) ? value : undefined;
}

/** The ids a successful answer names: one resource, a page of them, or an export's patient. */
function resultIds(data: unknown): { ids: string[]; count: number | null } {
  const id = field(data, 'id');
  if (typeof id === 'string') return { ids: [id], count: null };
  const page = field(data, 'data');
  if (Array.isArray(page)) {
    const ids = page.map((item) => field(item, 'id')).filter((v) => typeof v === 'string');
    return { ids: ids as string[], count: page.length };
  }
  const patientId = field(field(data, 'patient'), 'id');
  return { ids: typeof patientId === 'string' ? [patientId] : [], count: null };
}

/** The patient a call was about, from the note, the answer or the input, in that order. */
function patientOf(spec: AuditSpec, ids: string[], data: unknown, raw: unknown, note: AuditNote) {
  if (note.patientId) return note.patientId;
  if (spec.resource === 'patient' && spec.action !== 'patient.list') {
    return ids[0] ?? inputId(raw, 'id', 'pat') ?? null;
  }
  const fromResult = field(data, 'patientId');
  if (typeof fromResult === 'string') return fromResult;
  return inputId(raw, 'patientId', 'pat') ?? null;
}

export interface CallResult {
  ok: boolean;
  data?: unknown;
  error?: unknown;
}

/** The entry for one call of an audited procedure. */
export function entryFor(
  ids: IdGenerator,
  nowMs: number,
  caller: AuditCaller,
  spec: AuditSpec,
  call: CallResult & { raw: unknown; note: AuditNote },
): AuditRecord {
  const code = call.ok ? null : classify(call.error).failure.code;
  const fromResult = call.ok ? resultIds(call.data) : { ids: [], count: null };
  const fromInput = inputId(call.raw, 'id', PREFIX[spec.resource]);
  const resourceIds =
    call.note.resourceIds ?? (call.ok ? fromResult.ids : fromInput ? [fromInput] : []);
  return {
    id: ids.next('aud'),
    organizationId: caller.principal.organizationId,
    actorType: 'partner',
    credentialId: caller.principal.credentialId,
    tokenId: caller.principal.tokenId,
    action: spec.action,
    resourceType: spec.resource,
    resourceIds,
    patientId: patientOf(spec, resourceIds, call.data, call.raw, call.note),
    resultCount: fromResult.count,
    outcome: code ? outcomeOf(code) : 'success',
    problemCode: code,
    requestId: caller.requestId,
    clientIp: caller.clientIp,
    occurredAtMs: nowMs,
  };
}

/**
 * Writes an entry for a change that has already happened. A failed write is retried; if it
 * still fails the entry (ids only) goes to the error log, where operators find it and replay
 * it, and the caller still gets the answer to a change that did happen.
 */
export async function appendOrLog(store: Store, log: Logger, entry: AuditRecord): Promise<void> {
  for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
    try {
      await store.audit.append(entry);
      return;
    } catch (err) {
      if (attempt === APPEND_ATTEMPTS) log.error({ audit: entry, err }, 'audit entry not written');
    }
  }
}

/** Writes an entry for a read, or refuses the read: its data must not leave unaudited. */
async function appendOrRefuse(store: Store, log: Logger, entry: AuditRecord): Promise<void> {
  try {
    await store.audit.append(entry);
  } catch (cause) {
    log.error({ audit: entry, err: cause }, 'audit entry not written; read refused');
    throw new TahoonError(
      { code: 'UNAVAILABLE', detail: 'The request could not be recorded; nothing was disclosed' },
      { cause },
    );
  }
}

/** Records one finished call by the policy above. Throws only to refuse an unrecorded read. */
export async function recordCall(
  deps: { store: Store; ids: IdGenerator; log: Logger; nowMs: number },
  caller: AuditCaller,
  spec: AuditSpec,
  call: CallResult & { raw: unknown; note: AuditNote },
): Promise<void> {
  if (call.note.recorded) return;
  const entry = entryFor(deps.ids, deps.nowMs, caller, spec, call);
  if (call.ok && DISCLOSING.has(spec.action)) {
    await appendOrRefuse(deps.store, deps.log, entry);
  } else {
    await appendOrLog(deps.store, deps.log, entry);
  }
}
