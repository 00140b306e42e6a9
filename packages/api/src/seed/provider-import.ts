import { z } from 'zod';
import { isId, providerImportFileSchema, type ProviderImportRow } from '@tahoon/core';

/**
 * One problem in an import file. `index` is the row in `providers` (null for a problem with the
 * file itself) and `field` is a JSON pointer within that row, or within the file when `index` is
 * null: `/sessionTypes/0/price/amount`, or the empty string for the whole row or file.
 */
export interface ImportProblem {
  index: number | null;
  field: string;
  message: string;
}

export type ProviderImportResult =
  { ok: true; rows: ProviderImportRow[] } | { ok: false; errors: ImportProblem[] };

/** Where the published schema says it lives; the one place to change when the docs move. */
export const IMPORT_SCHEMA_ID = 'https://tahoon.dev/schemas/providers-import.schema.json';

const IMPORT_SCHEMA_DESCRIPTION =
  'A file for `tahoon providers import`: providers with their weekly schedules in their own ' +
  'time zone. A row with an `id` updates that provider; a row without one creates a provider. ' +
  'Some rules are checked only on import and cannot be stated here: an id is prv_ followed by ' +
  '16 characters from abcdefghijkmnpqrstuvwxyz23456789 and appears once per file, a time zone ' +
  'is an IANA name, a date exists, a window ends after it starts, and names and bios ' +
  'contain no < or > and no control characters.';

/**
 * Checks a whole import file and lists every problem in it, so a partner fixes the file in one
 * round. Nothing is partial: the caller imports the rows only when `ok` is true.
 *
 * @example
 * const result = parseProviderImport(JSON.parse(text));
 * if (!result.ok) for (const e of result.errors) log.warn(e, 'providers.import invalid row');
 */
export function parseProviderImport(json: unknown): ProviderImportResult {
  const parsed = providerImportFileSchema.safeParse(json, { error: missingFieldMessage });
  const errors = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap(toProblems)),
    ...duplicateIds(json),
  ];

  if (parsed.success && errors.length === 0) return { ok: true, rows: parsed.data.providers };
  return { ok: false, errors: errors.sort(byRow) };
}

/**
 * The JSON Schema published for partners, from the same zod schema the import runs, read as
 * input so that fields with defaults are optional.
 *
 * @example
 * writeFileSync('docs/providers-import.schema.json', JSON.stringify(providerImportJsonSchema()));
 */
export function providerImportJsonSchema(): Record<string, unknown> {
  const { $schema, ...generated } = z.toJSONSchema(providerImportFileSchema, {
    io: 'input',
    override: ({ jsonSchema }) => standardExamples(jsonSchema),
  });

  return {
    $schema,
    $id: IMPORT_SCHEMA_ID,
    title: 'Tahoon provider import file',
    description: IMPORT_SCHEMA_DESCRIPTION,
    $comment: 'Generated from providerImportFileSchema by scripts/generate-import-schema.ts.',
    ...generated,
  };
}

/** Zod says "expected string, received undefined"; a partner reads "is required" faster. */
function missingFieldMessage(issue: z.core.$ZodRawIssue): string | undefined {
  return issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;
}

function toProblems(issue: z.core.$ZodIssue): ImportProblem[] {
  const { index, path } = locate(issue.path);
  if (issue.code === 'unrecognized_keys') {
    // One problem per key, so each points at the field to delete.
    return issue.keys.map((key) => ({
      index,
      field: toPointer([...path, key]),
      message: 'is not a known field',
    }));
  }
  return [{ index, field: toPointer(path), message: issue.message }];
}

/** Splits `['providers', 3, 'bio']` into row 3 and the path within it. */
function locate(path: readonly PropertyKey[]): { index: number | null; path: PropertyKey[] } {
  const [root, index, ...rest] = path;
  if (root === 'providers' && typeof index === 'number') return { index, path: rest };
  return { index: null, path: [...path] };
}

/** RFC 6901: `~` and `/` inside a segment are escaped as `~0` and `~1`. */
function toPointer(path: readonly PropertyKey[]): string {
  return path
    .map((segment) => '/' + String(segment).replaceAll('~', '~0').replaceAll('/', '~1'))
    .join('');
}

/**
 * Read from the raw input rather than the parsed rows, so a file with other problems still
 * reports its duplicates in the same round. Malformed ids are left to the schema's own message.
 */
function duplicateIds(json: unknown): ImportProblem[] {
  const rows = isRecord(json) && Array.isArray(json.providers) ? json.providers : [];
  const firstRowOf = new Map<string, number>();
  const problems: ImportProblem[] = [];

  rows.forEach((row: unknown, index) => {
    const id = isRecord(row) ? row.id : undefined;
    if (typeof id !== 'string' || !isId('prv', id)) return;
    const first = firstRowOf.get(id);
    if (first === undefined) firstRowOf.set(id, index);
    else problems.push({ index, field: '/id', message: `repeats the id of row ${first}` });
  });
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** File-level problems first, then rows in order; the sort is stable within a row. */
function byRow(a: ImportProblem, b: ImportProblem): number {
  return (a.index ?? -1) - (b.index ?? -1);
}

/**
 * Our schemas carry OpenAPI's singular `example`; JSON Schema's keyword is `examples`, and strict
 * validators such as Ajv refuse a keyword they do not know.
 */
function standardExamples(jsonSchema: Record<string, unknown>): void {
  if (!('example' in jsonSchema)) return;
  jsonSchema.examples = [jsonSchema.example];
  delete jsonSchema.example;
}
