import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROVIDER_TYPES, type ProviderImportRow } from '@tahoon/core';
import { parseProviderImport, providerImportJsonSchema } from './provider-import.js';

type Json = Record<string, unknown>;

function readJson(relative: string): Json {
  return JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as Json;
}

const demo = readJson('./demo-providers.json');
const committedSchema = readJson('../../../../docs/providers-import.schema.json');

function demoRows(): ProviderImportRow[] {
  const result = parseProviderImport(demo);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.rows;
}

/** Providers other tests and the docs may cite; change them only together with those. */
const ANCHORS = [
  { id: 'prv_sjnpfzd39nd2qv6w', timeZone: 'Asia/Riyadh', country: 'SA', durations: [30, 50] },
  { id: 'prv_pufct98pvrbvi6cm', timeZone: 'America/New_York', country: 'US', durations: [45, 60] },
  { id: 'prv_xttvx78ahusa7vd7', timeZone: 'Asia/Kolkata', country: 'IN', durations: [50, 60] },
];

describe('the demo roster', () => {
  it('passes the import and covers every type, zone and country', () => {
    const result = parseProviderImport(demo);
    expect(result.ok ? [] : result.errors).toEqual([]);

    const rows = demoRows();
    const countries = rows.flatMap((row) =>
      row.licensedRegions.map((region) => region.slice(0, 2)),
    );
    expect(rows.length).toBeGreaterThanOrEqual(40);
    expect(new Set(rows.map((row) => row.type))).toEqual(new Set(PROVIDER_TYPES));
    expect(new Set(rows.map((row) => row.timeZone))).toEqual(
      new Set([
        'Asia/Riyadh',
        'Asia/Dubai',
        'Europe/London',
        'America/New_York',
        'America/Los_Angeles',
        'Asia/Kolkata',
        'Australia/Sydney',
        'Asia/Kathmandu',
      ]),
    );
    expect(countries).toEqual(expect.arrayContaining(['SA', 'AE', 'GB', 'US', 'IN', 'AU']));
  });

  it('gives every provider a fixed id and has some not bookable by new patients', () => {
    const rows = demoRows();

    expect(rows.every((row) => row.id !== undefined)).toBe(true);
    expect(rows.filter((row) => !row.acceptingNewPatients).length).toBeGreaterThanOrEqual(2);
    expect(rows.filter((row) => !row.active)).toHaveLength(1);
  });

  it.each(ANCHORS)('keeps $id bookable in $country', (anchor) => {
    const row = demoRows().find((candidate) => candidate.id === anchor.id);

    expect(row).toMatchObject({
      timeZone: anchor.timeZone,
      active: true,
      acceptingNewPatients: true,
    });
    expect(row?.sessionTypes.map((s) => s.duration)).toEqual(anchor.durations);
    expect(row?.licensedRegions.some((r) => r.split('-')[0] === anchor.country)).toBe(true);
    expect(row?.schedule.weekly.some((w) => w.day <= 5)).toBe(true);
  });
});

describe('parseProviderImport', () => {
  it('reports each bad field with its row and nothing else', () => {
    const rows = structuredClone(demoRows().slice(0, 6));
    const [row2, row5]: [ProviderImportRow, Json] = [rows[2]!, rows[5]!];
    row2.sessionTypes[0]!.price.amount = -100;
    row2.schedule.weekly[0]!.day = 8;
    delete row5.bio;
    row5.notes = 'prefers mornings';
    row5.timeZone = 'Europe/Atlantis';
    row5.id = rows[1]!.id;

    const result = parseProviderImport({ providers: rows });

    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => e.index)).toEqual([2, 2, 5, 5, 5, 5]);
    expect(errors.map((e) => [e.index, e.field]).sort()).toEqual([
      [2, '/schedule/weekly/0/day'],
      [2, '/sessionTypes/0/price/amount'],
      [5, '/bio'],
      [5, '/id'],
      [5, '/notes'],
      [5, '/timeZone'],
    ]);
    const messageOf = (field: string) => errors.find((e) => e.field === field)?.message;
    expect(messageOf('/bio')).toBe('is required');
    expect(messageOf('/id')).toBe('repeats the id of row 1');
    expect(messageOf('/notes')).toBe('is not a known field');
    expect(messageOf('/timeZone')).toMatch(/IANA/);
  });

  it('reports problems with the file itself without a row', () => {
    expect(parseProviderImport({ providers: [] })).toMatchObject({
      ok: false,
      errors: [{ index: null, field: '/providers' }],
    });
    expect(parseProviderImport([])).toMatchObject({
      ok: false,
      errors: [{ index: null, field: '' }],
    });
  });

  it('creates rows without an id and fills schedule defaults', () => {
    const row: Json = structuredClone(demoRows()[0]!);
    const weekly = demoRows()[0]!.schedule.weekly;
    delete row.id;
    row.schedule = { weekly };

    const result = parseProviderImport({ providers: [row] });

    expect(result.ok && result.rows[0]?.schedule).toEqual({
      weekly,
      overrides: [],
      bufferMinutes: 0,
      minNoticeMinutes: 120,
      horizonDays: 60,
      slotIntervalMinutes: 30,
    });
  });
});

describe('docs/providers-import.schema.json', () => {
  it('matches a fresh generation; run scripts/generate-import-schema.ts if not', () => {
    expect(committedSchema).toEqual(providerImportJsonSchema());
  });

  it('accepts the demo roster', () => {
    expect(violations(committedSchema, demo, committedSchema)).toEqual([]);
  });

  it('refuses what the import refuses where JSON Schema can say so', () => {
    const file = structuredClone(demo) as { providers: Json[] };
    const row = file.providers[3] as Json & Pick<ProviderImportRow, 'sessionTypes'>;
    row.sessionTypes[1]!.price.amount = 12.5;
    row.specialties = [];
    row.fax = '+966 11 000 0000';

    expect(violations(committedSchema, file, committedSchema)).toEqual([
      '/providers/3/specialties has fewer items than 1',
      '/providers/3/sessionTypes/1/price/amount is not integer',
      '/providers/3 has fax, which is not allowed',
    ]);
  });
});

/**
 * A check for the part of JSON Schema 2020-12 that zod emits for our import schema. No validator
 * is a dependency of this workspace, and this is small enough to read. A keyword it does not know
 * fails the test, so a schema change cannot slip past it unchecked.
 */
function violations(schema: Json, value: unknown, root: Json, at = ''): string[] {
  const found: string[] = [];
  const fail = (message: string) => found.push(`${at || '/'} ${message}`);

  for (const [keyword, rule] of Object.entries(schema)) {
    switch (keyword) {
      case '$schema':
      case '$id':
      case '$comment':
      case '$defs':
      case 'title':
      case 'description':
      case 'default':
      case 'examples':
      case 'format':
        break;
      case '$ref':
        found.push(...violations(resolveRef(root, rule as string), value, root, at));
        break;
      case 'type':
        if (!hasType(value, rule as string)) fail(`is not ${String(rule)}`);
        break;
      case 'enum':
        if (!(rule as unknown[]).includes(value)) fail('is not one of the listed values');
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(rule as string, 'u').test(value)) {
          fail(`does not match ${String(rule)}`);
        }
        break;
      case 'minLength':
      case 'maxLength':
        if (typeof value === 'string') checkBound(keyword, [...value].length, rule, fail);
        break;
      case 'minimum':
      case 'maximum':
        if (typeof value === 'number') checkBound(keyword, value, rule, fail);
        break;
      case 'minItems':
      case 'maxItems':
        if (Array.isArray(value)) checkBound(keyword, value.length, rule, fail);
        break;
      case 'items':
        if (Array.isArray(value)) {
          value.forEach((item, i) =>
            found.push(...violations(rule as Json, item, root, `${at}/${i}`)),
          );
        }
        break;
      case 'properties':
        for (const [key, sub] of Object.entries(rule as Json)) {
          if (isObject(value) && key in value) {
            found.push(...violations(sub as Json, value[key], root, `${at}/${key}`));
          }
        }
        break;
      case 'required':
        for (const key of rule as string[])
          if (isObject(value) && !(key in value)) fail(`lacks ${key}`);
        break;
      case 'additionalProperties': {
        if (rule !== false || !isObject(value)) break;
        const known = Object.keys((schema.properties ?? {}) as Json);
        for (const key of Object.keys(value)) {
          if (!known.includes(key)) fail(`has ${key}, which is not allowed`);
        }
        break;
      }
      default:
        throw new Error(`the test's schema check does not know the keyword ${keyword}`);
    }
  }
  return found;
}

const BOUNDS: Record<string, [low: boolean, words: string]> = {
  minLength: [true, 'is shorter than'],
  maxLength: [false, 'is longer than'],
  minimum: [true, 'is below'],
  maximum: [false, 'is above'],
  minItems: [true, 'has fewer items than'],
  maxItems: [false, 'has more items than'],
};

function checkBound(keyword: string, actual: number, limit: unknown, fail: (m: string) => void) {
  const [low, words] = BOUNDS[keyword]!;
  if (low ? actual < Number(limit) : actual > Number(limit)) fail(`${words} ${String(limit)}`);
}

function resolveRef(root: Json, ref: string): Json {
  if (!ref.startsWith('#/')) throw new Error(`only local refs are supported, not ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, segment) => (node as Json)[segment], root) as Json;
}

function hasType(value: unknown, type: string): boolean {
  if (type === 'integer') return Number.isInteger(value);
  if (type === 'object') return isObject(value);
  if (type === 'array') return Array.isArray(value);
  if (type === 'null') return value === null;
  return typeof value === type;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
