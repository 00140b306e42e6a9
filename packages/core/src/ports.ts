import type { AuditListFilter, AuditRecord } from './audit.js';
import type { Booking, BookingStatus, CancelledBy, VideoRoom } from './booking.js';
import type { Page } from './common.js';
import type { Result } from './errors.js';
import type { IdPrefix } from './ids.js';
import type { Patient, PatientCreate, PatientUpdate } from './patient.js';
import type { Provider, ProviderImportRow, ProviderSearch } from './provider.js';
import type { Schedule } from './schedule.js';
import type { Interval } from './availability.js';
import type { NotificationStore } from './webhooks.js';
import type { SigningKeyRecord } from './signing.js';

/** The time, from the outside: tests move it, production reads the system clock. */
export interface Clock {
  nowMs(): number;
}

export interface IdGenerator {
  next(prefix: IdPrefix): string;
}

export interface VideoRoomRequest {
  bookingId: string;
  startMs: number;
  endMs: number;
}

/**
 * A video service that hosts sessions. Adapters: VideoSDK when configured, and one that needs
 * no account (Jitsi Meet URLs) for the embedded default.
 */
export interface VideoRooms {
  readonly name: string;
  create(request: VideoRoomRequest, signal?: AbortSignal): Promise<VideoRoom>;
  remove(roomId: string, signal?: AbortSignal): Promise<void>;
}

export interface Organization {
  id: string;
  name: string;
  createdAtMs: number;
}

export interface Credential {
  id: string;
  organizationId: string;
  label: string | null;
  /** What tokens issued to this credential may do; a token carries these or fewer. */
  scopes: string[];
  createdAtMs: number;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  lastUsedAtMs: number | null;
}

/**
 * One client secret of a credential. A credential holds several while a rotation overlaps: the
 * new secret, and the old one until its expiry.
 */
export interface CredentialSecret {
  id: string;
  credentialId: string;
  /** HMAC-SHA256 of the secret under the server's credential key, hex. */
  hash: string;
  createdAtMs: number;
  expiresAtMs: number | null;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}

/** An access token revoked before its expiry (RFC 7009), remembered until it would expire. */
export interface RevokedToken {
  jti: string;
  organizationId: string;
  credentialId: string;
  expiresAtMs: number;
  revokedAtMs: number;
}

export interface ProviderRecord extends Provider {
  schedule: Schedule;
}

export interface BookingListFilter {
  limit: number;
  cursor?: string | undefined;
  patientId?: string | undefined;
  providerId?: string | undefined;
  status?: BookingStatus | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
}

/** A write request remembered under its Idempotency-Key, and its answer once it has one. */
export interface IdempotencyRecord {
  credentialId: string;
  key: string;
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  fingerprint: string;
  state: 'in_progress' | 'completed';
  status: number | null;
  body: string | null;
  contentType: string | null;
  createdAtMs: number;
  expiresAtMs: number;
}

/**
 * Persistence, as the domain needs it. Every method that touches partner data takes the
 * organization id and never returns another organization's rows.
 */
export interface Store {
  organizations: {
    create(org: Organization): Promise<void>;
    get(id: string): Promise<Organization | null>;
  };
  credentials: {
    /** Stores a credential and its first secret together. */
    create(credential: Credential, secret: CredentialSecret): Promise<void>;
    get(id: string): Promise<Credential | null>;
    /** The organization's credential, or null for another organization's or an unknown id. */
    getOwned(organizationId: string, id: string): Promise<Credential | null>;
    list(organizationId: string): Promise<Credential[]>;
    revoke(organizationId: string, id: string, atMs: number): Promise<boolean>;
    /** Records that the credential and the secret it used were just used. */
    touch(id: string, atMs: number, secretId?: string): Promise<void>;
    /** Every secret of the credential, newest first, revoked and expired ones included. */
    secrets(credentialId: string): Promise<CredentialSecret[]>;
    /**
     * Adds a new secret to an active credential of the organization and makes its other live
     * secrets expire at `previousExpireAtMs` at the latest, atomically. False if no such
     * active credential.
     */
    rotate(
      organizationId: string,
      secret: CredentialSecret,
      previousExpireAtMs: number,
    ): Promise<boolean>;
  };
  /** Access tokens revoked before their expiry; every authenticated request consults it. */
  revokedTokens: {
    /** Remembers a revocation; revoking the same token twice changes nothing. */
    add(token: RevokedToken): Promise<void>;
    /** The token's credential, as it is now, and whether the token itself was revoked. */
    status(
      credentialId: string,
      jti: string,
    ): Promise<{ credential: Credential | null; revoked: boolean }>;
    /** Forgets revocations of tokens that expired before `beforeMs`; how many. */
    purgeExpired(beforeMs: number): Promise<number>;
  };
  patients: {
    create(
      organizationId: string,
      id: string,
      input: PatientCreate,
      atMs: number,
    ): Promise<Result<Patient>>;
    get(organizationId: string, id: string): Promise<Patient | null>;
    update(
      organizationId: string,
      id: string,
      patch: PatientUpdate,
      atMs: number,
    ): Promise<Result<Patient>>;
    list(
      organizationId: string,
      filter: { limit: number; cursor?: string | undefined; externalId?: string | undefined },
    ): Promise<Page<Patient>>;
  };
  providers: {
    get(id: string): Promise<ProviderRecord | null>;
    /** Providers matching the static filters, in id order; availability is filtered above. */
    search(filter: Omit<ProviderSearch, 'limit' | 'cursor' | 'sort'>): Promise<ProviderRecord[]>;
    upsert(rows: (ProviderImportRow & { id: string })[]): Promise<void>;
    count(): Promise<number>;
  };
  bookings: {
    /**
     * Inserts the booking if neither its provider nor its patient has an active booking that
     * overlaps it, atomically: the database, not this caller, rules out a double booking.
     */
    insertIfFree(booking: Booking): Promise<Result<Booking>>;
    /**
     * Moves a booking to new times under the same locks and checks as {@link insertIfFree},
     * if it is still as `from` describes (status and start); its history carries the old times.
     */
    moveIfFree(
      moved: Booking,
      from: Pick<Booking, 'status' | 'startMs'>,
      atMs: number,
    ): Promise<Result<Booking>>;
    /** Releases holds left `pending` since before `olderThanMs` (a crash mid-booking); their ids. */
    expireHolds(olderThanMs: number, atMs: number): Promise<string[]>;
    get(organizationId: string, id: string): Promise<Booking | null>;
    /** Operators act across organizations. */
    getAny(id: string): Promise<Booking | null>;
    list(organizationId: string, filter: BookingListFilter): Promise<Page<Booking>>;
    /** Active bookings of a provider whose blocked time meets [fromMs, toMs). */
    busy(providerId: string, fromMs: number, toMs: number): Promise<Interval[]>;
    hasHistory(organizationId: string, patientId: string, providerId: string): Promise<boolean>;
    confirm(id: string, video: VideoRoom): Promise<Booking | null>;
    /** Removes a booking whose side effects failed: the hold is released and no row remains. */
    discard(id: string): Promise<void>;
    /** Moves a booking from one status to another if it is still in `from`; null if not. */
    setStatus(
      id: string,
      from: BookingStatus,
      to: BookingStatus,
      cancellation?: { by: CancelledBy; atMs: number; reason: string | null; late: boolean },
    ): Promise<Booking | null>;
  };
  idempotency: {
    /**
     * Claims a key for a new request, atomically. Answers null when this caller now owns the
     * key, or the record already held under it (another request's, running or completed).
     */
    claim(record: IdempotencyRecord): Promise<IdempotencyRecord | null>;
    complete(
      credentialId: string,
      key: string,
      answer: { status: number; body: string; contentType: string | null },
    ): Promise<void>;
    /** Forgets a claim whose request failed in a way worth retrying. */
    release(credentialId: string, key: string): Promise<void>;
  };
  /** Webhook endpoints and attempts, events, devices and push notifications. */
  notifications: NotificationStore;
  /** Signed requests: each organization's requirement, its signing keys, the nonces seen. */
  signing: {
    /** Whether the organization requires signed requests; null when there is no such org. */
    required(organizationId: string): Promise<boolean | null>;
    /** False when there is no such organization. */
    setRequired(organizationId: string, required: boolean): Promise<boolean>;
    createKey(key: SigningKeyRecord): Promise<void>;
    getKey(organizationId: string, id: string): Promise<SigningKeyRecord | null>;
    listKeys(organizationId: string): Promise<SigningKeyRecord[]>;
    /**
     * Adds `replacement` and ends the old key's life at `oldExpiresAtMs` (or sooner, if it was
     * already due to end), in one transaction; null when the old key is not the org's or is
     * revoked.
     */
    rotateKey(
      organizationId: string,
      oldId: string,
      replacement: SigningKeyRecord,
      oldExpiresAtMs: number,
    ): Promise<SigningKeyRecord | null>;
    /** The key as revoked (a key revoked before stays as it was); null when not the org's. */
    revokeKey(organizationId: string, id: string, atMs: number): Promise<SigningKeyRecord | null>;
    touchKey(id: string, atMs: number): Promise<void>;
    /**
     * Records a nonce for a key unless it is already held and unexpired: true when this caller
     * is the first, false for a replay. Atomic, so two instances cannot both accept it.
     */
    claimNonce(keyId: string, nonce: string, nowMs: number, expiresAtMs: number): Promise<boolean>;
    /** Forgets nonces that expired before `beforeMs`; how many. */
    purgeNonces(beforeMs: number): Promise<number>;
  };
  /** Applied migrations match the code's. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
  /** The audit trail. Append and read only: no entry is ever changed or removed. */
  audit: {
    append(record: AuditRecord): Promise<void>;
    /** The organization's entries, newest first. */
    list(organizationId: string, filter: AuditListFilter): Promise<Page<AuditRecord>>;
  };
  erasure: {
    /**
     * Erases a patient of the organization, with its audit entry, in one transaction: patient
     * data removed from the row, bookings stripped of free text. `busy` when the patient still
     * has an active session that has not started (cancel those first); `not_found` when there
     * is no such patient or it is already erased.
     */
    erasePatient(
      organizationId: string,
      patientId: string,
      atMs: number,
      audit: AuditRecord,
    ): Promise<'erased' | 'busy' | 'not_found'>;
  };
}
