const BASE64URL_TEXT = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url, the alphabet that needs no escaping in a text column, URL or log line. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/**
 * Decodes unpadded base64url, or returns null. Only the canonical spelling is accepted: text whose
 * unused trailing bits are set re-encodes differently and is refused, so one byte string has one
 * stored form.
 */
export function decodeBase64Url(text: string): Uint8Array | null {
  if (!BASE64URL_TEXT.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return encodeBase64Url(bytes) === text ? bytes : null;
}

/** Key text from configuration: standard base64 (padded or not) or base64url. */
export function decodeKeyText(text: string): Uint8Array | null {
  const unpadded = text.replace(/={1,2}$/, '');
  return decodeBase64Url(unpadded.replaceAll('+', '-').replaceAll('/', '_'));
}
