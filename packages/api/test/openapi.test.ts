import { readFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument, COMMITTED_OPENAPI_BASE_URL } from '../src/openapi.js';
import { appRouter } from '../src/routers/index.js';
import type { Meta } from '../src/trpc/init.js';

const doc = buildOpenApiDocument(COMMITTED_OPENAPI_BASE_URL);

type Operation = { summary?: string; security?: unknown[]; responses?: Record<string, unknown> };
const operation = (path: string, method: string) =>
  (doc.paths?.[path] as Record<string, Operation> | undefined)?.[method.toLowerCase()];

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.x', async () => {
    const validator = new Validator();
    const result = await validator.validate(
      structuredClone(doc) as unknown as Parameters<Validator['validate']>[0],
    );
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\./);
  });

  const procedures = Object.entries(appRouter._def.procedures) as unknown as [
    string,
    { _def: { meta?: Meta } },
  ][];

  it.each(procedures)('describes procedure %s as a REST operation', (name, procedure) => {
    const openapi = procedure._def.meta?.openapi;
    expect(openapi, `${name} has no openapi meta`).toBeDefined();
    if (!openapi) return;
    expect(openapi.path.startsWith('/v1/'), `${name} path is not written in full`).toBe(true);
    const described = operation(openapi.path, openapi.method);
    expect(described, `${openapi.method} ${openapi.path} is missing`).toBeDefined();
    expect(described?.summary).toBeTruthy();
    expect(described?.security?.length, `${name} is not marked as authenticated`).toBeGreaterThan(
      0,
    );
    expect(Object.keys(described?.responses ?? {})).toContain('400');
  });

  it('describes the token and health endpoints too', () => {
    for (const [path, method] of [
      ['/v1/oauth/token', 'post'],
      ['/v1/oauth/revoke', 'post'],
      ['/v1/oauth/introspect', 'post'],
      ['/.well-known/jwks.json', 'get'],
      ['/api/auth/token', 'post'],
      ['/health', 'get'],
      ['/health/live', 'get'],
      ['/health/ready', 'get'],
    ] as const) {
      expect(operation(path, method), `${method} ${path}`).toBeDefined();
    }
  });

  it('lists the statuses creations answer, not 200', () => {
    const statuses = (path: string, method: 'post') =>
      Object.keys(operation(path, method)?.responses ?? {}).filter((s) => s.startsWith('2'));
    expect(statuses('/v1/bookings', 'post')).toEqual(['201', '202']);
    for (const path of [
      '/v1/patients',
      '/v1/credentials',
      '/v1/signing-keys',
      '/v1/webhook-endpoints',
    ]) {
      expect(statuses(path, 'post'), path).toEqual(['201']);
    }
    expect(statuses('/v1/bookings/{id}/cancel', 'post')).toEqual(['200']);
  });

  it('answers every error as a problem document', () => {
    const apiPaths = Object.entries(doc.paths ?? {}).filter(
      ([path]) => !path.startsWith('/health'),
    );
    for (const [, item] of apiPaths) {
      for (const op of Object.values(item as Record<string, Operation>)) {
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          if (Number(status) < 400) continue;
          const content = (response as { content?: Record<string, unknown> }).content ?? {};
          expect(Object.keys(content)).toEqual(['application/problem+json']);
        }
      }
    }
  });

  it('matches the committed docs/openapi.json (regenerate with `pnpm openapi`)', async () => {
    const committed = JSON.parse(
      await readFile(new URL('../../../docs/openapi.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(doc)));
  });
});
