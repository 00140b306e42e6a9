import {
  organizationUpdateInput,
  signingKeyCreateInput,
  signingKeyIdInput,
  signingKeyRotateInput,
  type SigningKey,
} from '@tahoon/core';
import type { z } from 'zod';
import {
  createSigningKey,
  listSigningKeys,
  revokeSigningKey,
  rotateSigningKey,
  setSigningRequired,
} from '../signing/index.js';
import type { Runtime } from './runtime.js';

/** What the signing commands need from the CLI around them. */
export interface SigningCli {
  values: Record<string, string | boolean | undefined>;
  /** Positionals after the command and subcommand. */
  args: (string | undefined)[];
  json: boolean;
  withRuntime<T>(write: boolean, run: (runtime: Runtime) => Promise<T>): Promise<T>;
  print(json: boolean, data: unknown, text: string): void;
  usage(message: string): Error;
}

export const SIGNING_USAGE = `  orgs require-signing ORG_ID on|off         refuse unsigned requests of the organization
  signing-keys create --org ORG_ID --client-id CLIENT_ID [--expires-in-seconds N]
                                              a signing key (its secret is shown once)
  signing-keys list --org ORG_ID
  signing-keys rotate --org ORG_ID --id KEY_ID [--overlap-seconds N]
  signing-keys revoke --org ORG_ID --id KEY_ID`;

export const SIGNING_OPTIONS = {
  'overlap-seconds': { type: 'string' },
  'expires-in-seconds': { type: 'string' },
} as const;

function text(cli: SigningCli, key: string): string | undefined {
  const value = cli.values[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function needed(cli: SigningCli, key: string): string {
  const value = text(cli, key);
  if (value === undefined) throw cli.usage(`--${key} is required`);
  return value;
}

/** A whole number option, or undefined; anything else is a usage error. */
function seconds(cli: SigningCli, key: string): number | undefined {
  const value = text(cli, key);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw cli.usage(`--${key} must be a whole number of seconds`);
  return Number(value);
}

/** Input checked by the same schema the API uses; problems name the option. */
function checked<T extends z.ZodType>(cli: SigningCli, schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
  const problems = result.error.issues.map((i) => `${flag(String(i.path[0]))} ${i.message}`);
  throw cli.usage(problems.join('; '));
}

const describeKey = (key: SigningKey) =>
  `${key.id}  ${key.credentialId}  ${key.status}` +
  (key.expiresAt ? `  until ${key.expiresAt}` : '') +
  `  last used ${key.lastUsedAt ?? 'never'}`;

const SHOWN_ONCE = '(The secret is shown once; store it now.)';

async function requireSigning(cli: SigningCli): Promise<void> {
  const [org, setting] = cli.args;
  if (!org || (setting !== 'on' && setting !== 'off')) {
    throw cli.usage('usage: orgs require-signing ORG_ID on|off');
  }
  const required = checked(cli, organizationUpdateInput, {
    requireSignedRequests: setting === 'on',
  }).requireSignedRequests;
  await cli.withRuntime(true, async ({ deps }) => {
    await setSigningRequired(deps, org, required === true);
    cli.print(
      cli.json,
      { organizationId: org, requireSignedRequests: required },
      `${org} ${required ? 'now requires' : 'no longer requires'} signed requests`,
    );
  });
}

async function createKey(cli: SigningCli): Promise<void> {
  const org = needed(cli, 'org');
  const input = checked(cli, signingKeyCreateInput, {
    credentialId: needed(cli, 'client-id'),
    expiresInSeconds: seconds(cli, 'expires-in-seconds'),
  });
  await cli.withRuntime(true, async ({ deps }) => {
    const credentialId = input.credentialId ?? '';
    const key = await createSigningKey(deps, org, { ...input, credentialId });
    cli.print(
      cli.json,
      { organizationId: org, ...key },
      `key id: ${key.id}\nsecret: ${key.secret}\n${SHOWN_ONCE}`,
    );
  });
}

async function listKeys(cli: SigningCli): Promise<void> {
  const org = needed(cli, 'org');
  await cli.withRuntime(false, async ({ deps }) => {
    if (!(await deps.store.organizations.get(org))) throw cli.usage(`No organization ${org}`);
    const list = await listSigningKeys(deps, org);
    cli.print(cli.json, list, list.data.map(describeKey).join('\n') || 'No signing keys');
  });
}

async function rotateKey(cli: SigningCli): Promise<void> {
  const org = needed(cli, 'org');
  const input = checked(cli, signingKeyRotateInput, {
    id: needed(cli, 'id'),
    overlapSeconds: seconds(cli, 'overlap-seconds'),
  });
  await cli.withRuntime(true, async ({ deps }) => {
    const rotation = await rotateSigningKey(deps, org, input);
    cli.print(
      cli.json,
      { organizationId: org, ...rotation },
      `key id: ${rotation.key.id}\nsecret: ${rotation.key.secret}\n` +
        `${rotation.previous.id} works until ${rotation.previous.expiresAt}\n${SHOWN_ONCE}`,
    );
  });
}

async function revokeKey(cli: SigningCli): Promise<void> {
  const org = needed(cli, 'org');
  const { id } = checked(cli, signingKeyIdInput, { id: needed(cli, 'id') });
  await cli.withRuntime(true, async ({ deps }) => {
    const key = await revokeSigningKey(deps, org, id);
    cli.print(cli.json, { organizationId: org, ...key }, `Revoked ${key.id}`);
  });
}

/** The operator commands for signed requests, by `command subcommand`. */
export const SIGNING_COMMANDS: Record<string, (cli: SigningCli) => Promise<void>> = {
  'orgs require-signing': requireSigning,
  'signing-keys create': createKey,
  'signing-keys list': listKeys,
  'signing-keys rotate': rotateKey,
  'signing-keys revoke': revokeKey,
};
