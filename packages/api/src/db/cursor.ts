import { z } from 'zod';
import { TahoonError } from '@tahoon/core';

/** 9999-12-31T23:59:59.999Z: the last instant with a four-digit year, as SQL timestamps take. */
const MAX_SORT_KEY = 253_402_300_799_999;

// Sort keys are list offsets or epoch milliseconds of rows written by this API: never negative,
// never past year 9999. A forged key outside that range must be a 400, not a failed query.
const cursorSchema = z.tuple([z.number().int().min(0).max(MAX_SORT_KEY), z.string().max(40)]);

/**
 * Opaque list cursors: the sort key and id of the last row served, base64url-encoded. Opaque so
 * partners do not build on their shape; validated so a forged cursor is a 400, not a 500.
 */
export function encodeCursor(sortKey: number, id: string): string {
  const bytes = new TextEncoder().encode(JSON.stringify([sortKey, id]));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
}

export function decodeCursor(cursor: string): { sortKey: number; id: string } {
  try {
    const binary = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const [sortKey, id] = cursorSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
    return { sortKey, id };
  } catch (cause) {
    throw new TahoonError(
      {
        code: 'VALIDATION_FAILED',
        detail: 'The cursor is not one this API issued',
        errors: [{ pointer: '/cursor', message: 'is not a valid cursor' }],
      },
      { cause },
    );
  }
}
