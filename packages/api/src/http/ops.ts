import type { Context, Hono } from 'hono';
import { isId } from '@tahoon/core';
import type { Deps } from '../deps.js';
import type { OutboxRecord, OutboxState } from '../outbox/types.js';
import type { AppEnv } from './env.js';
import { problem, problemResponse } from './problem.js';

const STATES: readonly OutboxState[] = ['pending', 'delivered', 'dead', 'cancelled'];
const MAX_LIMIT = 200;

/**
 * Operator endpoints over the outbox: `GET /ops/outbox?state=dead&limit=50` and
 * `POST /ops/outbox/{id}/replay`. They are not partner operations and are absent from the
 * OpenAPI document. They exist only when `TAHOON_OPERATOR_TOKEN` is configured (otherwise
 * every /ops path answers 404, like any unknown route), and answer 401 to any other bearer
 * token, partner tokens included.
 *
 * @example
 * curl -H "authorization: Bearer $TAHOON_OPERATOR_TOKEN" "$BASE/ops/outbox?state=dead"
 */
export function mountOpsRoutes(app: Hono<AppEnv>, deps: Deps): void {
  const expected = deps.config.TAHOON_OPERATOR_TOKEN;
  if (!expected) return;
  const expectedDigest = digest(expected);

  app.use('/ops/*', async (c, next) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    if (!equalBytes(await digest(bearer), await expectedDigest)) {
      const body = problem('UNAUTHENTICATED', 'An operator token is required', c.get('requestId'));
      return problemResponse(body, { 'www-authenticate': 'Bearer realm="tahoon-ops"' });
    }
    await next();
  });

  app.get('/ops/outbox', async (c) => {
    const state = c.req.query('state');
    const limit = Number(c.req.query('limit') ?? 50);
    if (state !== undefined && !STATES.includes(state as OutboxState)) {
      return invalid(c, '/state', `must be one of ${STATES.join(', ')}`);
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      return invalid(c, '/limit', `must be an integer from 1 to ${MAX_LIMIT}`);
    }
    const rows = await deps.outbox.messages.list({
      state: state as OutboxState | undefined,
      limit,
    });
    return c.json({ data: rows.map(outboxView) });
  });

  app.post('/ops/outbox/:id/replay', async (c) => {
    const id = c.req.param('id');
    if (!isId('obx', id)) return invalid(c, '/id', 'must be an outbox message id (obx_…)');
    const replayed = await deps.outbox.messages.replay(id, deps.clock.nowMs());
    if (!replayed) {
      const exists = await deps.outbox.messages.get(id);
      const body = exists
        ? problem('INVALID_STATE', `Message ${id} is ${exists.state}, not dead`, c.get('requestId'))
        : problem('NOT_FOUND', `No outbox message ${id}`, c.get('requestId'));
      return problemResponse(body);
    }
    deps.logger.info({ outboxId: id }, 'outbox message replayed by an operator');
    return c.json(outboxView(replayed));
  });
}

/** An outbox row as operators read it; payloads hold ids only. */
export function outboxView(record: OutboxRecord) {
  return {
    id: record.id,
    topic: record.topic,
    state: record.state,
    attempts: record.attempts,
    organizationId: record.organizationId,
    payload: record.payload,
    dedupeKey: record.dedupeKey,
    lastError: record.lastError,
    availableAt: new Date(record.availableAtMs).toISOString(),
    createdAt: new Date(record.createdAtMs).toISOString(),
    deliveredAt:
      record.deliveredAtMs === null ? null : new Date(record.deliveredAtMs).toISOString(),
  };
}

function invalid(c: Context<AppEnv>, pointer: string, message: string): Response {
  const body = problem('VALIDATION_FAILED', `Invalid ${pointer.slice(1)}`, c.get('requestId'), [
    { pointer, message },
  ]);
  return problemResponse(body);
}

/**
 * Both tokens are hashed before comparing, so the comparison runs over equal lengths and its
 * time says nothing about the expected token.
 */
async function digest(value: string): Promise<Uint8Array> {
  const bytes = new TextEncoder().encode(value);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}
