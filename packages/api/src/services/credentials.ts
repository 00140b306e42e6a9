import {
  TahoonError,
  type Credential,
  type CredentialSecret,
  type CredentialView,
  type FieldError,
} from '@tahoon/core';
import { isScope, type Auth } from '../auth.js';
import type { Deps } from '../deps.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function statusOf(credential: Credential, nowMs: number): CredentialView['status'] {
  if (credential.revokedAtMs !== null) return 'revoked';
  if (credential.expiresAtMs !== null && credential.expiresAtMs <= nowMs) return 'expired';
  return 'active';
}

/** A credential as partners and operators see it: never a secret or a secret's hash. */
export function credentialView(
  credential: Credential,
  secrets: CredentialSecret[],
  nowMs: number,
): CredentialView {
  return {
    id: credential.id,
    label: credential.label,
    scopes: credential.scopes,
    status: statusOf(credential, nowMs),
    createdAt: new Date(credential.createdAtMs).toISOString(),
    expiresAt: iso(credential.expiresAtMs),
    revokedAt: iso(credential.revokedAtMs),
    lastUsedAt: iso(credential.lastUsedAtMs),
    secrets: secrets.map((s) => ({
      id: s.id,
      createdAt: new Date(s.createdAtMs).toISOString(),
      expiresAt: iso(s.expiresAtMs),
      lastUsedAt: iso(s.lastUsedAtMs),
      revokedAt: iso(s.revokedAtMs),
    })),
  };
}

type CredentialDeps = Pick<Deps, 'store' | 'clock'>;

/**
 * A caller may act on a credential (rotate, revoke, give it signing keys) only when its token
 * holds every scope that credential has: otherwise a narrow `credentials:admin` credential
 * could rotate a broad one and use the secret it is shown. `callerScopes` is absent for
 * operators (the CLI), who manage every credential.
 */
export function assertManageable(
  target: Pick<Credential, 'id' | 'scopes'>,
  callerScopes: readonly string[] | undefined,
): void {
  if (!callerScopes) return;
  const beyond = target.scopes.filter((scope) => !callerScopes.includes(scope));
  if (beyond.length === 0) return;
  throw new TahoonError({
    code: 'FORBIDDEN',
    detail: `Credential ${target.id} holds scopes this token lacks (${beyond.join(', ')}); only a token with all of them may manage it`,
  });
}

const notFound = (id: string) =>
  new TahoonError({ code: 'NOT_FOUND', detail: `No credential ${id}` });

/** The organization's credential as a view; another organization's id is not found. */
export async function readCredential(
  deps: CredentialDeps,
  organizationId: string,
  id: string,
): Promise<CredentialView> {
  const credential = await deps.store.credentials.getOwned(organizationId, id);
  if (!credential) throw notFound(id);
  const secrets = await deps.store.credentials.secrets(id);
  return credentialView(credential, secrets, deps.clock.nowMs());
}

export async function listCredentials(
  deps: CredentialDeps,
  organizationId: string,
): Promise<CredentialView[]> {
  const credentials = await deps.store.credentials.list(organizationId);
  const nowMs = deps.clock.nowMs();
  return Promise.all(
    credentials.map(async (c) =>
      credentialView(c, await deps.store.credentials.secrets(c.id), nowMs),
    ),
  );
}

/**
 * The scopes a new credential gets: those asked for, each a known scope the granting side
 * holds itself, or all the granting side holds when none are asked for.
 */
export function scopesToGrant(requested: string[] | undefined, grantable: readonly string[]) {
  if (!requested) return [...grantable];
  const unknown: FieldError[] = [];
  const withheld: FieldError[] = [];
  requested.forEach((scope, i) => {
    const pointer = `/scopes/${i}`;
    if (!isScope(scope)) unknown.push({ pointer, message: 'is not a Tahoon scope' });
    else if (!grantable.includes(scope)) {
      withheld.push({ pointer, message: 'is not held by the credential granting it' });
    }
  });
  if (unknown.length > 0) {
    throw new TahoonError({
      code: 'VALIDATION_FAILED',
      detail: 'scopes names unknown scopes',
      errors: unknown,
    });
  }
  if (withheld.length > 0) {
    throw new TahoonError({
      code: 'FORBIDDEN',
      detail: 'A credential can only grant scopes it holds itself',
      errors: withheld,
    });
  }
  return [...new Set(requested)];
}

export async function createCredential(
  deps: CredentialDeps & { auth: Auth },
  organizationId: string,
  input: { label?: string | undefined; scopes: string[] },
) {
  const created = await deps.auth.createCredential(
    organizationId,
    input.label ?? null,
    input.scopes,
  );
  const secrets = await deps.store.credentials.secrets(created.clientId);
  const view = credentialView(created.credential, secrets, deps.clock.nowMs());
  return { ...view, clientSecret: created.clientSecret };
}

export async function rotateCredential(
  deps: CredentialDeps & { auth: Auth },
  organizationId: string,
  id: string,
  previousSecretExpiresInSeconds: number | undefined,
  callerScopes?: readonly string[],
) {
  const current = await deps.store.credentials.getOwned(organizationId, id);
  if (!current) throw notFound(id);
  assertManageable(current, callerScopes);
  if (statusOf(current, deps.clock.nowMs()) !== 'active') {
    throw new TahoonError({ code: 'INVALID_STATE', detail: `Credential ${id} is not active` });
  }
  const rotated = await deps.auth.rotateSecret(organizationId, id, previousSecretExpiresInSeconds);
  if (!rotated)
    throw new TahoonError({ code: 'INVALID_STATE', detail: `Credential ${id} is not active` });
  return {
    clientId: id,
    clientSecret: rotated.clientSecret,
    secretId: rotated.secretId,
    previousSecretsExpireAt: new Date(rotated.previousExpireAtMs).toISOString(),
    credential: await readCredential(deps, organizationId, id),
  };
}

/** Revokes the credential; its secrets and every token issued to it stop working at once. */
export async function revokeCredential(
  deps: CredentialDeps,
  organizationId: string,
  id: string,
  callerScopes?: readonly string[],
) {
  const current = await deps.store.credentials.getOwned(organizationId, id);
  if (!current) throw notFound(id);
  assertManageable(current, callerScopes);
  if (current.revokedAtMs === null) {
    await deps.store.credentials.revoke(organizationId, id, deps.clock.nowMs());
  }
  return readCredential(deps, organizationId, id);
}
