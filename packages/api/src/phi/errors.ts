/** Why a stored PHI value could not be read back. */
export type PhiDecryptReason = 'malformed' | 'unknown-key' | 'authentication';

const REASON_TEXT: Record<PhiDecryptReason, string> = {
  malformed: 'the stored value is not in a known PHI format',
  'unknown-key': 'its key id is not in the key ring',
  authentication:
    'authentication failed (altered value, wrong key, or a value moved from another row or column)',
};

/**
 * A stored PHI value that could not be decrypted. The message names the field and the key id (a
 * label from configuration) but never the stored value, the plaintext or key material, so it is
 * safe to log.
 */
export class PhiDecryptError extends Error {
  override readonly name = 'PhiDecryptError';

  constructor(
    readonly reason: PhiDecryptReason,
    readonly field: string | null,
    readonly keyId: string | null,
  ) {
    const where = field ? ` in ${field}` : '';
    const key = keyId ? ` (key id ${keyId})` : '';
    super(`PHI value${where} could not be decrypted${key}: ${REASON_TEXT[reason]}`);
  }
}

/** PHI key settings that cannot be used; each problem reads `VARIABLE: what is wrong`. */
export class PhiConfigError extends Error {
  override readonly name = 'PhiConfigError';

  constructor(readonly problems: readonly string[]) {
    super(`Invalid PHI key configuration:\n  - ${problems.join('\n  - ')}`);
  }
}
