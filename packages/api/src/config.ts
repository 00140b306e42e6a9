import { z } from 'zod';
import { phiEnvShape, refinePhiEnv } from './phi/index.js';
import { signingKeySetSchema } from './tokens/signing-keys.js';

const SAMPLE_SECRETS = ['changeme', 'secret', 'password', 'example', 'test'];

/** A secret given as base64url, base64 or hex text; at least 32 random bytes once decoded. */
const strongSecret = z
  .string()
  .refine((value) => decodeSecret(value).length >= 32, 'must encode at least 32 random bytes')
  .refine(
    (value) => !SAMPLE_SECRETS.some((sample) => value.toLowerCase().includes(sample)),
    'looks like a sample value',
  )
  // 32 random bytes as hex show 16 distinct characters nearly always, but not always; patterns
  // such as 'ab' repeated show a handful.
  .refine((value) => new Set(value).size >= 10, 'is not random enough');

const port = z.coerce.number<string>().int().min(0).max(65_535);

/**
 * Every setting the gateway reads, validated once at boot. Each problem is reported at once,
 * so an operator fixes a bad deployment in one pass.
 */
export const configSchema = z
  .object({
    NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
    PORT: port.default(3000),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    DATABASE_POOL_SIZE: z.coerce.number<string>().int().min(1).max(200).default(10),
    TAHOON_DATA_DIR: z.string().default('.tahoon'),
    TAHOON_TOKEN_SIGNING_KEYS: signingKeySetSchema.optional(),
    TAHOON_CREDENTIAL_KEY: strongSecret.optional(),
    TAHOON_TOKEN_TTL_SECONDS: z.coerce.number<string>().int().min(60).max(86_400).default(900),
    TAHOON_ISSUER: z.string().default('tahoon'),
    TAHOON_PUBLIC_URL: z.url().optional(),
    TAHOON_HOLD_TTL_SECONDS: z.coerce.number<string>().int().min(30).max(3_600).default(120),
    /**
     * On SIGTERM the server keeps answering this long, telling load balancers it is not ready
     * and clients to open new connections elsewhere, before it stops accepting.
     */
    TAHOON_SHUTDOWN_DRAIN_MS: z.coerce.number<string>().int().min(0).max(60_000).default(1_000),
    TAHOON_LATE_CANCEL_MINUTES: z.coerce.number<string>().int().min(0).max(20_160).default(1440),
    TAHOON_BODY_LIMIT_BYTES: z.coerce
      .number<string>()
      .int()
      .min(1024)
      .max(10_485_760)
      .default(65_536),
    TAHOON_REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    TAHOON_RATE_LIMIT_PER_MINUTE: z.coerce
      .number<string>()
      .int()
      .min(1)
      .max(1_000_000)
      .default(600),
    TAHOON_TOKEN_FAILURES_PER_MINUTE: z.coerce
      .number<string>()
      .int()
      .min(1)
      .max(100_000)
      .default(10),
    TAHOON_RATE_LIMIT_TIMEOUT_MS: z.coerce.number<string>().int().min(10).max(5_000).default(200),
    TAHOON_TRUSTED_PROXIES: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean),
      ),
    TAHOON_DOCS: z.enum(['on', 'off']).optional().describe('Serve /docs and /openapi.json'),
    TAHOON_CORS_ORIGINS: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(z.url().refine((o) => !o.includes('*'), 'must be an exact origin, not a pattern')),
      ),
    TAHOON_JITSI_BASE_URL: z.url().default('https://meet.jit.si'),
    VIDEOSDK_API_KEY: z.string().min(1).optional(),
    VIDEOSDK_SECRET: z.string().min(1).optional(),
    VIDEOSDK_API_BASE: z.url().optional(),
    VIDEOSDK_JOIN_BASE_URL: z.url().optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    TAHOON_DISPATCHER: z.enum(['on', 'off']).default('on').describe('Deliver the outbox here'),
    TAHOON_DISPATCHER_BATCH_SIZE: z.coerce.number<string>().int().min(1).max(1_000).default(50),
    TAHOON_DISPATCHER_POLL_MS: z.coerce.number<string>().int().min(50).max(60_000).default(1000),
    TAHOON_DISPATCHER_CONCURRENCY: z.coerce.number<string>().int().min(1).max(100).default(8),
    TAHOON_OPERATOR_TOKEN: strongSecret.optional().describe('Bearer token of the /ops endpoints'),
    ...phiEnvShape,
    TAHOON_WEBHOOK_ALLOW_LOCAL: z
      .enum(['true', 'false'])
      .default('false')
      .describe('Let webhook URLs use http, loopback addresses and any port (development)'),
    TAHOON_WEBHOOK_TIMEOUT_MS: z.coerce
      .number<string>()
      .int()
      .min(1_000)
      .max(60_000)
      .default(15_000),
    TAHOON_FCM_SERVICE_ACCOUNT: z.string().min(1).optional(),
    TAHOON_FCM_API_BASE: z.url().optional(),
  })
  .superRefine((env, ctx) => {
    refinePhiEnv(env, ctx);
    if (Boolean(env.VIDEOSDK_API_KEY) !== Boolean(env.VIDEOSDK_SECRET)) {
      const missing = env.VIDEOSDK_API_KEY ? 'VIDEOSDK_SECRET' : 'VIDEOSDK_API_KEY';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'VideoSDK needs both its key and secret',
      });
    }
    if (env.NODE_ENV !== 'production') return;
    if (env.TAHOON_WEBHOOK_ALLOW_LOCAL === 'true') {
      ctx.addIssue({
        code: 'custom',
        path: ['TAHOON_WEBHOOK_ALLOW_LOCAL'],
        message: 'must not be true in production: partners could aim webhooks at this host',
      });
    }
    for (const key of ['TAHOON_TOKEN_SIGNING_KEYS', 'TAHOON_CREDENTIAL_KEY'] as const) {
      if (!env[key])
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required in production' });
    }
    if (!env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'is required in production; the embedded database is for development',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

/** The reference page and OpenAPI document: on by default, off by default in production. */
export function docsEnabled(config: Pick<Config, 'TAHOON_DOCS' | 'NODE_ENV'>): boolean {
  return (config.TAHOON_DOCS ?? (config.NODE_ENV === 'production' ? 'off' : 'on')) === 'on';
}

/**
 * Reads `NAME_FILE` variables (secrets mounted as files by the platform) into `NAME`. Setting
 * both is refused, so a deployment never wonders which one won.
 *
 * @example
 * const env = await withFileSecrets(process.env, (path) => readFile(path, 'utf8'));
 */
export async function withFileSecrets(
  env: Record<string, string | undefined>,
  read: (path: string) => Promise<string>,
): Promise<Record<string, string | undefined>> {
  const resolved = { ...env };
  const problems: string[] = [];
  const known = new Set(Object.keys(configSchema.shape));
  for (const [key, path] of Object.entries(env)) {
    const name = key.slice(0, -'_FILE'.length);
    if (!key.endsWith('_FILE') || !path || !known.has(name)) continue;
    if (env[name] !== undefined) {
      problems.push(`${name}: set either ${name} or ${key}, not both`);
      continue;
    }
    try {
      resolved[name] = (await read(path)).trim();
    } catch {
      problems.push(`${key}: cannot read the file it names`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the configuration from an environment-like record, listing every problem at once.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  );
}

/** Decodes a configured secret: hex if it looks like hex, else base64/base64url. */
export function decodeSecret(value: string): Uint8Array {
  if (/^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0) {
    return Uint8Array.from(value.match(/../g) ?? [], (h) => parseInt(h, 16));
  }
  try {
    const binary = atob(value.replaceAll('-', '+').replaceAll('_', '/'));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return new Uint8Array(0);
  }
}
