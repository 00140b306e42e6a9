import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { ERROR_CODES } from '@tahoon/core';
import { appRouter } from './routers/index.js';
import type { Meta } from './trpc/init.js';

export const API_VERSION = '0.1.0';

/** The server URL in the committed docs/openapi.json; a running server uses its own origin. */
export const COMMITTED_OPENAPI_BASE_URL = 'http://localhost:3000';

const problemSchema = {
  type: 'object',
  description: 'An RFC 9457 problem document',
  required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: [...ERROR_CODES] },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pointer', 'message'],
        properties: { pointer: { type: 'string' }, message: { type: 'string' } },
      },
    },
    error: { type: 'string', description: 'RFC 6749 error code, on the token endpoints' },
  },
};

const problemContent = {
  'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
};

const tokenRequest = {
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: { type: 'string', enum: ['client_credentials'] },
    client_id: { type: 'string', description: 'Unless sent with HTTP Basic' },
    client_secret: { type: 'string', description: 'Unless sent with HTTP Basic' },
  },
};

/** The form RFC 7009 and RFC 7662 requests send: the token, with the client's credentials. */
const tokenManagementRequest = {
  required: true,
  content: {
    'application/x-www-form-urlencoded': {
      schema: {
        type: 'object',
        required: ['token'],
        properties: {
          token: { type: 'string', description: 'An access token of your organization' },
          token_type_hint: { type: 'string', enum: ['access_token'] },
          client_id: { type: 'string', description: 'Unless sent with HTTP Basic' },
          client_secret: { type: 'string', description: 'Unless sent with HTTP Basic' },
        },
      },
    },
  },
};

const tokenManagementPaths = {
  '/v1/oauth/revoke': {
    post: {
      operationId: 'oauth-revoke',
      tags: ['auth'],
      summary: 'Revoke one of your access tokens (RFC 7009)',
      description:
        'The token stops working on every instance at its next use. An unknown token, or ' +
        "another organization's, answers 200 and changes nothing, as RFC 7009 asks.",
      security: [{ basic: [] }, {}],
      requestBody: tokenManagementRequest,
      responses: {
        200: { description: 'Revoked, or nothing to revoke' },
        400: { description: 'Malformed request', content: problemContent },
        401: { description: 'Invalid client credentials', content: problemContent },
      },
    },
  },
  '/v1/oauth/introspect': {
    post: {
      operationId: 'oauth-introspect',
      tags: ['auth'],
      summary: 'Whether one of your access tokens is active, with its claims (RFC 7662)',
      security: [{ basic: [] }, {}],
      requestBody: tokenManagementRequest,
      responses: {
        200: {
          description:
            "`active: false` for an expired, revoked, unknown or another organization's token",
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['active'],
                properties: {
                  active: { type: 'boolean' },
                  scope: { type: 'string' },
                  client_id: { type: 'string' },
                  token_type: { type: 'string', enum: ['Bearer'] },
                  exp: { type: 'integer' },
                  iat: { type: 'integer' },
                  sub: { type: 'string' },
                  aud: { type: 'string' },
                  iss: { type: 'string' },
                  jti: { type: 'string' },
                  org: { type: 'string' },
                },
              },
            },
          },
        },
        400: { description: 'Malformed request', content: problemContent },
        401: { description: 'Invalid client credentials', content: problemContent },
      },
    },
  },
  '/.well-known/jwks.json': {
    get: {
      operationId: 'jwks',
      tags: ['auth'],
      summary: 'The public keys that verify access tokens (RFC 7517)',
      security: [{}],
      responses: {
        200: {
          description: 'A JWK set of Ed25519 public keys',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['keys'],
                properties: { keys: { type: 'array', items: { type: 'object' } } },
              },
            },
          },
        },
      },
    },
  },
};

const tokenPaths = {
  '/v1/oauth/token': {
    post: {
      operationId: 'oauth-token',
      tags: ['auth'],
      summary: 'Exchange client credentials for an access token (RFC 6749 §4.4)',
      security: [{ basic: [] }, {}],
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': { schema: tokenRequest },
          'application/json': { schema: tokenRequest },
        },
      },
      responses: {
        200: {
          description: 'An access token',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['access_token', 'token_type', 'expires_in', 'scope'],
                properties: {
                  access_token: { type: 'string' },
                  token_type: { type: 'string', enum: ['Bearer'] },
                  expires_in: { type: 'integer' },
                  scope: { type: 'string' },
                },
              },
            },
          },
        },
        400: { description: 'Malformed request or unsupported grant', content: problemContent },
        401: { description: 'Invalid client credentials', content: problemContent },
      },
    },
  },
  '/api/auth/token': {
    post: {
      operationId: 'legacy-auth-token',
      tags: ['auth'],
      summary: "The original gateway's token endpoint, kept for existing partners",
      security: [{}],
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: {
              type: 'object',
              required: ['grant_type', 'access_key'],
              properties: {
                grant_type: { type: 'string', enum: ['password'] },
                access_key: { type: 'string', description: 'A client secret' },
              },
            },
          },
        },
      },
      responses: {
        200: {
          description: 'An access token',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['access_token', 'token_type', 'expires_in'],
                properties: {
                  access_token: { type: 'string' },
                  token_type: { type: 'string', enum: ['bearer'] },
                  expires_in: { type: 'integer' },
                },
              },
            },
          },
        },
        400: { description: 'Malformed request', content: problemContent },
        401: { description: 'Invalid access key', content: problemContent },
      },
    },
  },
};

const healthResponse = (summary: string) => ({
  get: {
    operationId: summary.toLowerCase().replaceAll(' ', '-'),
    tags: ['health'],
    summary,
    security: [{}],
    responses: {
      200: {
        description: 'Healthy',
        content: { 'application/health+json': { schema: { type: 'object' } } },
      },
      503: {
        description: 'Not ready',
        content: { 'application/health+json': { schema: { type: 'object' } } },
      },
    },
  },
});

type Operation = { responses?: Record<string, { description?: string; content?: unknown }> };

/** Every error response of a generated operation is a problem document. */
function useProblems(doc: OpenAPIObject): void {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item as Record<string, Operation>)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) >= 400) response.content = problemContent;
      }
    }
  }
}

/**
 * The one OpenAPI document: every procedure's REST form, with full paths, plus the token and
 * health endpoints that are plain routes.
 */
export function buildOpenApiDocument(baseUrl: string): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: 'Tahoon partner API',
    version: API_VERSION,
    description:
      'Register patients, search mental-health providers, read free slots and book video ' +
      'sessions. Authenticate with OAuth 2.0 client credentials at /v1/oauth/token.',
    baseUrl,
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      basic: { type: 'http', scheme: 'basic' },
    },
  });
  useProblems(doc);
  requirePathParameters(doc);
  documentSuccessStatuses(doc);
  doc.info['x-generated'] = 'Generated from the tRPC routers by `tahoon openapi`; do not edit.';
  // Hand-written parts are plain JSON; the generated document's types are stricter than needed.
  doc.paths = {
    ...tokenPaths,
    ...tokenManagementPaths,
    ...doc.paths,
    '/health': healthResponse('Overall health'),
    '/health/live': healthResponse('Liveness'),
    '/health/ready': healthResponse('Readiness'),
  } as OpenAPIObject['paths'];
  doc.components = {
    ...doc.components,
    schemas: { ...(doc.components?.schemas ?? {}), Problem: problemSchema },
  } as OpenAPIObject['components'];
  return doc;
}

/**
 * Path parameters are always required (OpenAPI 3). The generator leaves `required` off when a
 * field's schema preprocesses its input (the device token is percent-decoded first).
 */
function requirePathParameters(doc: OpenAPIObject): void {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item as Record<string, { parameters?: unknown[] }>)) {
      for (const parameter of operation.parameters ?? []) {
        const p = parameter as { in?: string; required?: boolean };
        if (p.in === 'path') p.required = true;
      }
    }
  }
}

/** The operations' `meta.openapi` and `meta.successStatuses`, from the router. */
function operationMetas(): { method: string; path: string; statuses: readonly number[] }[] {
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { meta?: Meta } }
  >;
  return Object.values(procedures).flatMap(({ _def }) => {
    const { openapi, successStatuses } = _def.meta ?? {};
    return openapi && successStatuses
      ? [{ method: openapi.method.toLowerCase(), path: openapi.path, statuses: successStatuses }]
      : [];
  });
}

/**
 * The generator lists every success as 200; operations that create answer 201 (and a booking
 * whose room is still being made 202), with the same body.
 */
function documentSuccessStatuses(doc: OpenAPIObject): void {
  for (const { method, path, statuses } of operationMetas()) {
    const operation = (
      doc.paths?.[path] as Record<string, { responses?: Record<string, unknown> }>
    )?.[method];
    const ok = operation?.responses?.['200'] as { description?: string } | undefined;
    if (!operation?.responses || !ok) continue;
    delete operation.responses['200'];
    for (const status of statuses) {
      operation.responses[String(status)] =
        status === 202
          ? { ...ok, description: 'Accepted: the slot is held and the video room is being made' }
          : ok;
    }
  }
}
