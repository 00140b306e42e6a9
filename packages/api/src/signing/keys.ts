import {
  signingKeyStatus,
  TahoonError,
  type SigningKey,
  type SigningKeyRecord,
} from '@tahoon/core';
import type { Deps } from '../deps.js';
import type { PhiContext } from '../phi/index.js';
import { newSigningSecret } from './recipe.js';
import { forgetRequirement } from './requirement.js';
import { assertManageable } from '../services/credentials.js';

/**
 * Creating, rotating and revoking signing keys: shared by the admin procedures and the operator
 * CLI. Secrets are sealed with the PHI cipher, bound to their organization and row, because the
 * server must read them back to recompute each request's MAC.
 */

type KeyDeps = Pick<Deps, 'store' | 'clock' | 'ids' | 'phi'>;

export function secretContext(organizationId: string, keyId: string): PhiContext {
  return { table: 'signing_keys', column: 'sealed_secret', organizationId, rowId: keyId };
}

const iso = (value: number | null) => (value === null ? null : new Date(value).toISOString());

export function signingKeyView(key: SigningKeyRecord, nowMs: number): SigningKey {
  return {
    id: key.id,
    credentialId: key.credentialId,
    status: signingKeyStatus(key, nowMs),
    createdAt: new Date(key.createdAtMs).toISOString(),
    expiresAt: iso(key.expiresAtMs),
    revokedAt: iso(key.revokedAtMs),
    lastUsedAt: iso(key.lastUsedAtMs),
  };
}

const notFound = (what: string) => new TahoonError({ code: 'NOT_FOUND', detail: `No ${what}` });

/**
 * Who asks for a key change: a partner's token (its credential and scopes), or nobody for an
 * operator. A token may manage its own credential's keys, and another credential's only when it
 * holds every scope that credential has.
 */
export interface KeyManager {
  credentialId: string;
  scopes: readonly string[];
}

function assertMayManage(
  credential: { id: string; scopes: string[] },
  manager: KeyManager | undefined,
): void {
  if (manager && manager.credentialId !== credential.id) {
    assertManageable(credential, manager.scopes);
  }
}

/** A usable credential of the organization, or the 404 any other id gets. */
async function credentialOf(
  deps: KeyDeps,
  organizationId: string,
  credentialId: string,
  manager?: KeyManager,
) {
  const credential = await deps.store.credentials.get(credentialId);
  if (!credential || credential.organizationId !== organizationId) {
    throw notFound(`credential ${credentialId}`);
  }
  assertMayManage(credential, manager);
  if (credential.revokedAtMs !== null) {
    throw new TahoonError({
      code: 'INVALID_STATE',
      detail: `The credential ${credentialId} is revoked`,
    });
  }
  return credential;
}

async function sealedKey(
  deps: KeyDeps,
  organizationId: string,
  credentialId: string,
  expiresAtMs: number | null,
): Promise<{ record: SigningKeyRecord; secret: string }> {
  const id = deps.ids.next('sgk');
  const secret = newSigningSecret();
  const sealedSecret = await deps.phi.encrypt(secret, secretContext(organizationId, id));
  const record: SigningKeyRecord = {
    id,
    credentialId,
    organizationId,
    sealedSecret,
    createdAtMs: deps.clock.nowMs(),
    expiresAtMs,
    revokedAtMs: null,
    lastUsedAtMs: null,
  };
  return { record, secret };
}

/** A new signing key for a credential of the organization; its secret is returned only here. */
export async function createSigningKey(
  deps: KeyDeps,
  organizationId: string,
  input: { credentialId: string; expiresInSeconds?: number | undefined },
  manager?: KeyManager,
) {
  await credentialOf(deps, organizationId, input.credentialId, manager);
  const expiresAtMs =
    input.expiresInSeconds === undefined
      ? null
      : deps.clock.nowMs() + input.expiresInSeconds * 1000;
  const { record, secret } = await sealedKey(deps, organizationId, input.credentialId, expiresAtMs);
  await deps.store.signing.createKey(record);
  return { ...signingKeyView(record, deps.clock.nowMs()), secret };
}

/**
 * A new key for the same credential; the old one keeps working for `overlapSeconds`, so partners
 * can roll the new secret out before the old one stops.
 */
export async function rotateSigningKey(
  deps: KeyDeps,
  organizationId: string,
  input: { id: string; overlapSeconds: number },
  manager?: KeyManager,
) {
  const nowMs = deps.clock.nowMs();
  const old = await deps.store.signing.getKey(organizationId, input.id);
  if (!old) throw notFound(`signing key ${input.id}`);
  if (signingKeyStatus(old, nowMs) !== 'active') {
    throw new TahoonError({
      code: 'INVALID_STATE',
      detail: `The signing key ${input.id} is ${signingKeyStatus(old, nowMs)}; create a new one`,
    });
  }
  await credentialOf(deps, organizationId, old.credentialId, manager);

  const { record, secret } = await sealedKey(deps, organizationId, old.credentialId, null);
  const previous = await deps.store.signing.rotateKey(
    organizationId,
    old.id,
    record,
    nowMs + input.overlapSeconds * 1000,
  );
  if (!previous) throw notFound(`signing key ${input.id}`);
  return {
    key: { ...signingKeyView(record, nowMs), secret },
    previous: signingKeyView(previous, nowMs),
  };
}

export async function revokeSigningKey(
  deps: KeyDeps,
  organizationId: string,
  id: string,
  manager?: KeyManager,
) {
  const key = await deps.store.signing.getKey(organizationId, id);
  if (!key) throw notFound(`signing key ${id}`);
  const owner = await deps.store.credentials.get(key.credentialId);
  if (owner) assertMayManage(owner, manager);
  const revoked = await deps.store.signing.revokeKey(organizationId, id, deps.clock.nowMs());
  if (!revoked) throw notFound(`signing key ${id}`);
  return signingKeyView(revoked, deps.clock.nowMs());
}

export async function listSigningKeys(deps: KeyDeps, organizationId: string) {
  const nowMs = deps.clock.nowMs();
  const keys = await deps.store.signing.listKeys(organizationId);
  return { data: keys.map((key) => signingKeyView(key, nowMs)) };
}

/**
 * Turns the requirement on or off. Turning it on needs an active key in the organization, so a
 * partner cannot lock every credential out by accident.
 */
export async function setSigningRequired(deps: KeyDeps, organizationId: string, on: boolean) {
  if (on) {
    const nowMs = deps.clock.nowMs();
    const keys = await deps.store.signing.listKeys(organizationId);
    if (!keys.some((key) => signingKeyStatus(key, nowMs) === 'active')) {
      throw new TahoonError({
        code: 'INVALID_STATE',
        detail: 'Create a signing key before requiring signed requests',
      });
    }
  }
  if (!(await deps.store.signing.setRequired(organizationId, on))) {
    throw notFound(`organization ${organizationId}`);
  }
  forgetRequirement(deps.store, organizationId);
}
