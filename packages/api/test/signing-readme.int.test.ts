/**
 * The README's worked example of a signed request is what partners in other languages test
 * their code against, so the gateway is held to it: the canonical string and signature printed
 * there are the ones its verifier computes, and the request it describes is accepted.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalString } from '@tahoon/core';
import { importSigningSecret, sha256Hex, signatureFor } from '../src/signing/index.js';
import { createTestGateway, DB_KINDS, type TestGateway } from './harness.js';
import { countRows } from './signing-client.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

interface WorkedExample {
  keyId: string;
  secret: string;
  method: string;
  target: string;
  timestamp: string;
  nonce: string;
  body: string;
  canonical: string;
  headers: Record<string, string>;
}

/** The fenced blocks of the "Worked example" section, in order. */
async function exampleBlocks(): Promise<string[]> {
  const readme = await readFile(README, 'utf8');
  const start = readme.indexOf('### Worked example');
  expect(start, 'README has a worked example of a signed request').toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  return [...section.matchAll(/```text\n([\s\S]*?)\n```/g)].map((m) => m[1] ?? '');
}

function field(block: string, label: string): string {
  const value = new RegExp(`^${label} +(.+)$`, 'm').exec(block)?.[1];
  if (value === undefined) throw new Error(`the worked example has no "${label}"`);
  return value;
}

async function workedExample(): Promise<WorkedExample> {
  const [inputs = '', canonical = '', headerBlock = ''] = await exampleBlocks();
  const headers = Object.fromEntries(
    headerBlock.split('\n').map((line) => {
      const at = line.indexOf(': ');
      return [line.slice(0, at).toLowerCase(), line.slice(at + 2)];
    }),
  );
  return {
    keyId: field(inputs, 'Signing key id'),
    secret: field(inputs, 'Signing secret'),
    method: field(inputs, 'Method'),
    target: field(inputs, 'Path and query'),
    timestamp: field(inputs, 'Timestamp'),
    nonce: field(inputs, 'Nonce'),
    body: field(inputs, 'Body'),
    canonical,
    headers,
  };
}

describe('the README worked example', () => {
  it("prints the gateway's own canonical string and signature", async () => {
    const example = await workedExample();
    const contentSha256 = await sha256Hex(example.body);
    const parts = { ...example, contentSha256 };

    expect(canonicalString(parts)).toBe(example.canonical);
    expect(example.headers['tahoon-content-sha256']).toBe(contentSha256);
    const signature = await signatureFor(await importSigningSecret(example.secret), parts);
    expect(example.headers['tahoon-signature']).toBe(signature);
    expect(example.headers['tahoon-signature-key']).toBe(example.keyId);
    expect(example.headers['tahoon-timestamp']).toBe(example.timestamp);
    expect(example.headers['tahoon-nonce']).toBe(example.nonce);
  });
});

/** The README's curl-and-openssl lines that compute the body hash and the signature. */
async function shellRecipe(): Promise<string> {
  const readme = await readFile(README, 'utf8');
  const section = readme.slice(
    readme.indexOf('## Signed requests'),
    readme.indexOf('### Worked example'),
  );
  const lines = (/```sh\n([\s\S]*?)\n```/.exec(section)?.[1] ?? '').split('\n');
  const from = lines.findIndex((line) => line.startsWith('HASH='));
  const to = lines.findIndex((line) => line.startsWith('curl '));
  expect(from, 'the shell recipe computes HASH before curl').toBeGreaterThanOrEqual(0);
  return lines.slice(from, to).join('\n');
}

describe('the README shell recipe', () => {
  it('computes the worked example with printf and openssl', async () => {
    const example = await workedExample();
    const script = [
      `SIGNING_SECRET='${example.secret}'`,
      `BODY='${example.body}'`,
      `TARGET='${example.target}'`,
      `TS=${example.timestamp}`,
      `NONCE=${example.nonce}`,
      await shellRecipe(),
      'printf "%s v1=%s" "$HASH" "$SIG"',
    ].join('\n');
    const { stdout } = await promisify(execFile)('bash', ['-c', script]);
    expect(stdout).toBe(
      `${example.headers['tahoon-content-sha256']} ${example.headers['tahoon-signature']}`,
    );
  });
});

describe.each(DB_KINDS)('the README worked example against the gateway on %s', (kind) => {
  let gw: TestGateway;
  let example: WorkedExample;

  /** The example's request, exactly as printed, as partner A. */
  const send = () =>
    gw.app.fetch(
      new Request(`http://tahoon.test${example.target}`, {
        method: example.method,
        headers: {
          ...example.headers,
          authorization: `Bearer ${gw.partnerA.token}`,
          'content-type': 'application/json',
        },
        body: example.body,
      }),
    );

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    example = await workedExample();
    // The example's key, installed for partner A's credential as the gateway stores keys.
    const { organizationId, clientId } = gw.partnerA;
    await gw.deps.store.signing.createKey({
      id: example.keyId,
      credentialId: clientId,
      organizationId,
      sealedSecret: await gw.deps.phi.encrypt(example.secret, {
        table: 'signing_keys',
        column: 'sealed_secret',
        organizationId,
        rowId: example.keyId,
      }),
      createdAtMs: gw.clock.nowMs(),
      expiresAtMs: null,
      revokedAtMs: null,
      lastUsedAtMs: null,
    });
    gw.clock.set(Number(example.timestamp) * 1000);
  });
  afterAll(() => gw?.close());

  it('is accepted once, and refused as a replay after', async () => {
    const first = await send();
    expect(first.status, await first.clone().text()).toBe(201);

    const patients = await countRows(gw, 'patients');
    const replay = await send();
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(await countRows(gw, 'patients')).toBe(patients);
  });

  it('is refused once its timestamp is out of the window', async () => {
    gw.clock.set((Number(example.timestamp) + 301) * 1000);
    const late = await send();
    expect(late.status).toBe(401);
    const problem = (await late.json()) as { code: string; detail: string };
    expect(problem.code).toBe('SIGNATURE_INVALID');
    expect(problem.detail).toMatch(/301 seconds from the server's clock/);
  });
});
