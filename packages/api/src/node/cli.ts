import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { isId, TahoonError } from '@tahoon/core';
import { createAuth } from '../auth.js';
import { ConfigError, loadConfig, withFileSecrets } from '../config.js';
import { buildOpenApiDocument, COMMITTED_OPENAPI_BASE_URL } from '../openapi.js';
import { rotateSealedValues } from '../db/phi-rotation.js';
import { seedDemo } from '../seed/demo.js';
import { parseProviderImport } from '../seed/provider-import.js';
import { outboxView } from '../http/ops.js';
import type { OutboxState } from '../outbox/types.js';
import { markBookingAudited } from '../audit/operator.js';
import { bookingView } from '../services/views.js';
import { createLogger, createRuntime, type Runtime } from './runtime.js';
import { SIGNING_COMMANDS, SIGNING_OPTIONS, SIGNING_USAGE } from './cli-signing.js';
import { runningServerPid, startServer } from './server.js';

/** Exit status 2: the command line or its input is wrong; nothing was changed. */
class UsageError extends Error {}

const USAGE = `Usage: tahoon <command> [options]

Commands:
  serve [--demo]                              start the gateway (--demo: load demo data first)
  migrate                                     apply database migrations
  seed --demo                                 load the demo providers and organization
  orgs create --name NAME                     create a partner organization
  credentials create --org ORG_ID [--label L] issue a client id and secret (shown once)
  credentials list --org ORG_ID               list an organization's credentials
  credentials revoke --org ORG_ID --client-id CLIENT_ID
  providers import FILE                       import providers (docs/providers-import.schema.json)
  bookings mark --id BOOKING_ID --status completed|no_show
  outbox list [--state pending|delivered|dead|cancelled] [--limit N]
  outbox replay MESSAGE_ID                    send a dead outbox message again
  openapi                                     print the OpenAPI document
  phi rotate                                  move sealed patient data to TAHOON_PHI_ACTIVE_KEY
${SIGNING_USAGE}

Options: --json prints exactly one JSON document on stdout.
Environment: DATABASE_URL (unset: embedded database in TAHOON_DATA_DIR), PORT, TAHOON_DATA_DIR.`;

const OPTIONS = {
  json: { type: 'boolean' },
  demo: { type: 'boolean' },
  name: { type: 'string' },
  org: { type: 'string' },
  label: { type: 'string' },
  'client-id': { type: 'string' },
  id: { type: 'string' },
  status: { type: 'string' },
  state: { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...SIGNING_OPTIONS,
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

function required(values: Values, key: 'name' | 'org' | 'client-id' | 'id' | 'status'): string {
  const value = values[key];
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`--${key} is required`);
  return value;
}

function print(json: boolean, data: unknown, text: string): void {
  process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : text + '\n');
}

async function withRuntime<T>(write: boolean, run: (runtime: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig(await withFileSecrets(process.env, (path) => readFile(path, 'utf8')));
  if (write && !config.DATABASE_URL) {
    const pid = await runningServerPid(config.TAHOON_DATA_DIR);
    if (pid) {
      throw new Error(
        `The server (pid ${pid}) holds the embedded database in ${config.TAHOON_DATA_DIR}. ` +
          'Stop it first, or use DATABASE_URL with PostgreSQL to run commands at any time.',
      );
    }
  }
  const logger = createLogger({ LOG_LEVEL: 'warn' }, pino.destination(2));
  const runtime = await createRuntime(process.env, { logger });
  try {
    await runtime.database.migrate();
    return await run(runtime);
  } finally {
    await runtime.database.close();
    await runtime.closeExtras();
  }
}

async function serve(values: Values): Promise<void> {
  const runtime = await createRuntime(process.env);
  const { config, deps, database } = runtime;
  await database.migrate();
  const demo = values.demo ? await seedDemo(deps) : null;
  const running = await startServer(runtime);
  const base = config.TAHOON_PUBLIC_URL ?? `http://localhost:${running.port}`;
  const lines = [
    '',
    `Tahoon is listening on ${base} (${database.kind === 'pglite' ? 'embedded database in ' + config.TAHOON_DATA_DIR : 'PostgreSQL'})`,
    `  API reference: ${base}/docs    OpenAPI: ${base}/openapi.json`,
  ];
  if (demo) {
    lines.push(
      `  Demo organization ${demo.organizationId} with ${demo.providers} providers`,
      `  client_id:     ${demo.clientId}`,
      `  client_secret: ${demo.clientSecret}`,
      `  Try: curl -s -u '${demo.clientId}:${demo.clientSecret}' -d grant_type=client_credentials ${base}/v1/oauth/token`,
    );
  }
  process.stderr.write(lines.join('\n') + '\n\n');
  const shutdown = (signal: string) => {
    deps.logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function importProviders(file: string | undefined, json: boolean): Promise<void> {
  if (!file) throw new UsageError('providers import needs a FILE');
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new UsageError(`${file} is not a readable JSON file: ${(cause as Error).message}`);
  }
  const parsed = parseProviderImport(parsedJson);
  if (!parsed.ok) {
    print(
      json,
      { imported: 0, errors: parsed.errors },
      parsed.errors
        .map((e) => `row ${e.index ?? '-'} ${e.field || '(row)'}: ${e.message}`)
        .join('\n'),
    );
    if (json) {
      // The report above is the one JSON document; the exit status says it failed.
      process.exitCode = 2;
      return;
    }
    throw new UsageError(`${parsed.errors.length} problem(s); nothing was imported`);
  }
  await withRuntime(true, async ({ deps }) => {
    const rows = parsed.rows.map((row) => ({ ...row, id: row.id ?? deps.ids.next('prv') }));
    await deps.store.providers.upsert(rows);
    print(
      json,
      { imported: rows.length, ids: rows.map((r) => r.id) },
      `Imported ${rows.length} providers`,
    );
  });
}

const OUTBOX_STATES = ['pending', 'delivered', 'dead', 'cancelled'];

async function listOutbox(values: Values, json: boolean): Promise<void> {
  const state = values.state;
  if (state !== undefined && !OUTBOX_STATES.includes(state)) {
    throw new UsageError(`--state must be one of ${OUTBOX_STATES.join(', ')}`);
  }
  const limit = Number(values.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new UsageError('--limit must be an integer from 1 to 1000');
  }
  return withRuntime(false, async ({ deps }) => {
    const rows = await deps.outbox.messages.list({ state: state as OutboxState, limit });
    const data = rows.map(outboxView);
    const text = data.map(
      (m) => `${m.id}  ${m.topic}  ${m.state}  attempts ${m.attempts}  ${m.lastError ?? ''}`,
    );
    print(json, { data }, text.join('\n') || 'No messages');
  });
}

async function replayOutbox(id: string | undefined, json: boolean): Promise<void> {
  if (!id || !isId('obx', id)) throw new UsageError('outbox replay needs a MESSAGE_ID (obx_…)');
  return withRuntime(true, async ({ deps }) => {
    const replayed = await deps.outbox.messages.replay(id, deps.clock.nowMs());
    if (!replayed) {
      const existing = await deps.outbox.messages.get(id);
      throw new UsageError(existing ? `${id} is ${existing.state}, not dead` : `No message ${id}`);
    }
    print(json, outboxView(replayed), `${id} is pending again; the dispatcher will deliver it`);
  });
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const json = values.json ?? false;
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE + '\n');
    if (!command && !values.help) throw new UsageError('no command given');
    return;
  }

  switch (`${command} ${sub ?? ''}`.trim()) {
    case 'serve':
      return serve(values);
    case 'migrate':
      return withRuntime(true, async () => print(json, { migrated: true }, 'Migrations applied'));
    case 'seed':
      if (!values.demo) throw new UsageError('seed needs --demo');
      return withRuntime(true, async ({ deps }) => {
        const demo = await seedDemo(deps);
        print(
          json,
          demo,
          `Demo organization ${demo.organizationId}\nclient_id: ${demo.clientId}\nclient_secret: ${demo.clientSecret}\nproviders: ${demo.providers}`,
        );
      });
    case 'orgs create': {
      const name = required(values, 'name');
      if (name.length > 200) throw new UsageError('--name is longer than 200 characters');
      return withRuntime(true, async ({ deps }) => {
        const id = deps.ids.next('org');
        await deps.store.organizations.create({ id, name, createdAtMs: deps.clock.nowMs() });
        print(json, { organizationId: id, name }, `Created organization ${id} (${name})`);
      });
    }
    case 'credentials create': {
      const org = required(values, 'org');
      return withRuntime(true, async ({ deps }) => {
        if (!(await deps.store.organizations.get(org)))
          throw new UsageError(`No organization ${org}`);
        const created = await createAuth(deps).createCredential(org, values.label ?? null);
        print(
          json,
          { organizationId: org, ...created },
          `client_id: ${created.clientId}\nclient_secret: ${created.clientSecret}\n(The secret is shown once; store it now.)`,
        );
      });
    }
    case 'credentials list': {
      const org = required(values, 'org');
      return withRuntime(false, async ({ deps }) => {
        if (!(await deps.store.organizations.get(org)))
          throw new UsageError(`No organization ${org}`);
        const data = (await deps.store.credentials.list(org)).map((c) => ({
          clientId: c.id,
          label: c.label,
          createdAt: new Date(c.createdAtMs).toISOString(),
          expiresAt: c.expiresAtMs === null ? null : new Date(c.expiresAtMs).toISOString(),
          revokedAt: c.revokedAtMs === null ? null : new Date(c.revokedAtMs).toISOString(),
          lastUsedAt: c.lastUsedAtMs === null ? null : new Date(c.lastUsedAtMs).toISOString(),
        }));
        print(
          json,
          { data },
          data
            .map(
              (c) =>
                `${c.clientId}  ${c.revokedAt ? 'revoked' : 'active'}  last used ${c.lastUsedAt ?? 'never'}`,
            )
            .join('\n') || 'No credentials',
        );
      });
    }
    case 'credentials revoke': {
      const org = required(values, 'org');
      const clientId = required(values, 'client-id');
      return withRuntime(true, async ({ deps }) => {
        const revoked = await deps.store.credentials.revoke(org, clientId, deps.clock.nowMs());
        if (!revoked) throw new UsageError(`No credential ${clientId} in organization ${org}`);
        print(json, { organizationId: org, clientId, revoked: true }, `Revoked ${clientId}`);
      });
    }
    case 'providers import':
      return importProviders(arg, json);
    case 'phi rotate':
      return withRuntime(true, async ({ deps, database }) => {
        const reports = await rotateSealedValues(database.db, deps.phi.ring);
        const failures = Object.values(reports).reduce((n, r) => n + r.failures.length, 0);
        print(
          json,
          { activeKeyId: deps.phi.activeKeyId, tables: reports },
          Object.entries(reports)
            .map(
              ([table, r]) =>
                `${table}: ${r.rowsRewritten} rows moved to key ${deps.phi.activeKeyId}, ` +
                `${r.conflicts} edited meanwhile, ${r.failures.length} unreadable`,
            )
            .join('\n'),
        );
        if (failures > 0) {
          throw new Error(`${failures} values could not be decrypted with the configured keys`);
        }
      });
    case 'bookings mark': {
      const id = required(values, 'id');
      const status = required(values, 'status');
      if (status !== 'completed' && status !== 'no_show') {
        throw new UsageError('--status must be completed or no_show');
      }
      return withRuntime(true, async ({ deps }) => {
        const booking = await markBookingAudited({ ...deps, log: deps.logger }, id, status);
        print(json, bookingView(booking), `Booking ${id} is now ${status}`);
      });
    }
    case 'outbox list':
      return listOutbox(values, json);
    case 'outbox replay':
      return replayOutbox(arg, json);
    case 'openapi': {
      const config = loadConfig(process.env);
      const doc = buildOpenApiDocument(config.TAHOON_PUBLIC_URL ?? COMMITTED_OPENAPI_BASE_URL);
      process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      return;
    }
    default: {
      const signing = SIGNING_COMMANDS[`${command} ${sub ?? ''}`.trim()];
      if (signing) {
        const usage = (message: string) => new UsageError(message);
        return signing({ values, args: positionals.slice(2), json, withRuntime, print, usage });
      }
      throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
    }
  }
}

/** Runs the CLI and sets the exit status: 0 success, 2 usage or validation, 1 anything else. */
export async function main(argv: string[]): Promise<void> {
  try {
    await run(argv);
  } catch (error) {
    const usage =
      error instanceof UsageError ||
      error instanceof ConfigError ||
      (error instanceof TypeError &&
        'code' in error &&
        String(error.code).startsWith('ERR_PARSE_ARGS')) ||
      (error instanceof TahoonError && error.status < 500);
    const message = error instanceof Error ? error.message : String(error);
    const notFound = error instanceof TahoonError && error.code === 'NOT_FOUND';
    process.exitCode = usage || notFound ? 2 : 1;
    process.stderr.write(`tahoon: ${message}\n`);
    // Scripts that asked for JSON get one JSON document even when the command fails.
    if (argv.includes('--json')) {
      const code = process.exitCode === 2 ? 'USAGE' : 'FAILED';
      process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
    }
  }
}
