import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const BIN = fileURLToPath(new URL('../../../bin/tahoon.mjs', import.meta.url));

/** What one run of the `tahoon` command printed, and its exit status. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the operator CLI as operators do, through `bin/tahoon.mjs`, with `env` added. */
export function tahoon(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** One JSON document and nothing else on stdout: the --json contract scripts rely on. */
export function json<T>(run: Run): T {
  expect(run.stderr).not.toMatch(/at .*\.ts:\d+/);
  return JSON.parse(run.stdout) as T;
}
