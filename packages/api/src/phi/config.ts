import { z } from 'zod';
import { decodeKeyText } from './base64url.js';
import { PhiConfigError } from './errors.js';
import {
  createPhiKeyRing,
  keyBytesProblem,
  PHI_KEY_ID_PATTERN,
  sameBytes,
  type PhiKeyEntry,
  type PhiKeyMaterial,
  type PhiKeyRing,
} from './keys.js';

const PHI_VARIABLES = ['TAHOON_PHI_KEYS', 'TAHOON_PHI_ACTIVE_KEY', 'TAHOON_PHI_INDEX_KEY'] as const;

const KEY_ID_RULE = 'must be 1–32 letters, digits, "-" or "_"';

interface ParsedKeyList {
  entries: PhiKeyEntry[];
  /** Ids that were well formed, even where their key was not: for cross-checks. */
  ids: Set<string>;
  problems: string[];
}

/** Problems name entries by position and id only: never echo key text into a log. */
function parseKeyEntry(entry: string, position: number, list: ParsedKeyList): void {
  const separator = entry.indexOf(':');
  if (separator < 0) {
    list.problems.push(`entry ${position} must be keyId:base64key`);
    return;
  }
  const id = entry.slice(0, separator).trim();
  if (!PHI_KEY_ID_PATTERN.test(id)) {
    list.problems.push(`entry ${position} key id ${KEY_ID_RULE}`);
    return;
  }
  if (list.ids.has(id)) list.problems.push(`key id ${id} appears twice`);
  list.ids.add(id);

  const bytes = decodeKeyText(entry.slice(separator + 1).trim());
  const problem = bytes ? keyBytesProblem(bytes) : 'is not base64 or base64url';
  if (problem || !bytes) {
    list.problems.push(`key ${id} ${problem}`);
    return;
  }
  // One key under two ids would let a relabelled value decrypt under the other id.
  const twin = list.entries.find((other) => sameBytes(other.bytes, bytes));
  if (twin) list.problems.push(`key ${id} repeats key ${twin.id}`);
  list.entries.push({ id, bytes });
}

/** `keyId:base64key` entries separated by commas; blanks around either separator are ignored. */
function parseKeyList(text: string): ParsedKeyList {
  const list: ParsedKeyList = { entries: [], ids: new Set(), problems: [] };
  const parts = text.split(',').map((part) => part.trim());
  if (parts.every((part) => part === '')) {
    list.problems.push('must list at least one keyId:base64key');
    return list;
  }
  parts.forEach((part, index) => {
    if (part === '') list.problems.push(`entry ${index + 1} is empty`);
    else parseKeyEntry(part, index + 1, list);
  });
  return list;
}

function indexKeyProblem(text: string): string | null {
  const bytes = decodeKeyText(text.trim());
  return bytes ? keyBytesProblem(bytes) : 'is not base64 or base64url';
}

/**
 * The PHI settings as a fragment of the gateway's configuration schema: spread it into the
 * object and call `refinePhiEnv` from the schema's `superRefine`. Values stay text, like the
 * other secrets; `readPhiKeyMaterial` decodes them.
 *
 * @example
 * const schema = z.object({ NODE_ENV: …, ...phiEnvShape }).superRefine(refinePhiEnv);
 */
export const phiEnvShape = {
  TAHOON_PHI_KEYS: z
    .string()
    .superRefine((text, ctx) => {
      for (const message of parseKeyList(text).problems) ctx.addIssue({ code: 'custom', message });
    })
    .optional(),
  TAHOON_PHI_ACTIVE_KEY: z.string().trim().regex(PHI_KEY_ID_PATTERN, KEY_ID_RULE).optional(),
  TAHOON_PHI_INDEX_KEY: z
    .string()
    .superRefine((text, ctx) => {
      const message = indexKeyProblem(text);
      if (message) ctx.addIssue({ code: 'custom', message });
    })
    .optional(),
};

type PhiEnvInput = { NODE_ENV?: string | undefined } & {
  [K in (typeof PHI_VARIABLES)[number]]?: string | undefined;
};

function addProblem(ctx: z.RefinementCtx, variable: string, message: string): void {
  ctx.addIssue({ code: 'custom', path: [variable], message });
}

/**
 * Checks across the PHI settings: all three or none (none only outside production), the active
 * key among the listed ones, and the index key apart from every encryption key. Like any object
 * refinement it runs once no field has failed to parse as its type (a field that parsed but broke
 * a rule, such as a short key, does not hold it back).
 */
export function refinePhiEnv(env: PhiEnvInput, ctx: z.RefinementCtx): void {
  const missing = PHI_VARIABLES.filter((variable) => !env[variable]);
  if (missing.length === PHI_VARIABLES.length) {
    if (env.NODE_ENV !== 'production') return;
    for (const variable of missing) addProblem(ctx, variable, 'is required in production');
    return;
  }
  for (const variable of missing) {
    addProblem(ctx, variable, 'is required when any TAHOON_PHI_* setting is given');
  }

  const list = parseKeyList(env.TAHOON_PHI_KEYS ?? '');
  const active = env.TAHOON_PHI_ACTIVE_KEY?.trim();
  if (active && env.TAHOON_PHI_KEYS && PHI_KEY_ID_PATTERN.test(active) && !list.ids.has(active)) {
    addProblem(ctx, 'TAHOON_PHI_ACTIVE_KEY', 'names no key in TAHOON_PHI_KEYS');
  }
  const indexKey = decodeKeyText(env.TAHOON_PHI_INDEX_KEY?.trim() ?? '');
  if (indexKey && list.entries.some((entry) => sameBytes(entry.bytes, indexKey))) {
    addProblem(ctx, 'TAHOON_PHI_INDEX_KEY', 'must differ from every key in TAHOON_PHI_KEYS');
  }
}

/** The PHI settings on their own, for a runtime that reads them apart from the rest. */
export const phiEnvSchema = z
  .object({ NODE_ENV: z.string().optional(), ...phiEnvShape })
  .superRefine(refinePhiEnv);

/**
 * Decodes the PHI settings from an environment-like record. Returns null when none are set
 * outside production (the runtime then uses development keys from its data folder); throws a
 * `PhiConfigError` that lists every problem as `VARIABLE: message` otherwise.
 *
 * @example
 * const material = readPhiKeyMaterial(process.env);
 */
export function readPhiKeyMaterial(env: Record<string, string | undefined>): PhiKeyMaterial | null {
  const parsed = phiEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new PhiConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }

  const {
    TAHOON_PHI_KEYS: keys,
    TAHOON_PHI_ACTIVE_KEY: active,
    TAHOON_PHI_INDEX_KEY: index,
  } = parsed.data;
  if (!keys || !active || !index) return null;
  const indexKey = decodeKeyText(index.trim());
  if (!indexKey) throw new PhiConfigError(['TAHOON_PHI_INDEX_KEY: is not base64 or base64url']);
  return { keys: parseKeyList(keys).entries, activeKeyId: active, indexKey };
}

/**
 * Reads the PHI settings and imports them into a key ring, or returns null when none are set
 * outside production.
 *
 * @example
 * const ring = await loadPhiKeyRing(process.env);
 */
export async function loadPhiKeyRing(
  env: Record<string, string | undefined>,
): Promise<PhiKeyRing | null> {
  const material = readPhiKeyMaterial(env);
  return material ? createPhiKeyRing(material) : null;
}
