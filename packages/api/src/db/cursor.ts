import { z } from 'zod';
import { TahoonError } from '@tahoon/core';

const cursorSchema = z.tuple([z.number().int(), z.string().max(40)]);

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
