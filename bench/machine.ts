import { readFileSync } from 'node:fs';
import { sleep } from './shared.js';

/** Jiffies the machine has spent busy and in total, from the first line of /proc/stat. */
function cpuJiffies(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, n) => sum + n, 0);
    // idle and iowait are the fourth and fifth fields.
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Measures how many cores the whole machine keeps busy while `work` runs. */
export async function busyCoresDuring<T>(
  work: () => Promise<T>,
): Promise<{ value: T; busyCores: number | null }> {
  const before = cpuJiffies();
  const started = performance.now();
  const value = await work();
  const after = cpuJiffies();
  const seconds = (performance.now() - started) / 1_000;
  if (!before || !after || seconds <= 0) return { value, busyCores: null };
  // Jiffies are hundredths of a second on Linux (CLK_TCK 100).
  return { value, busyCores: (after.busy - before.busy) / 100 / seconds };
}

/** Cores other processes keep busy while this benchmark is idle. */
const QUIET_CORES = 0.3;

/**
 * Waits, up to `maxMs`, until the machine is quiet while the benchmark itself sits idle: the
 * cores busy over a 2 s sample are then other people's work. Answers the seconds waited and
 * the busy cores of the last sample.
 */
export async function waitForQuietCores(
  maxMs: number,
  onWait: (busyCores: number) => void,
): Promise<{ waitedS: number; busyCores: number | null }> {
  const started = performance.now();
  for (;;) {
    const { busyCores } = await busyCoresDuring(() => sleep(2_000));
    const waitedS = Math.round((performance.now() - started) / 1_000);
    if (busyCores === null || busyCores < QUIET_CORES || performance.now() - started >= maxMs) {
      return { waitedS, busyCores: busyCores === null ? null : Math.round(busyCores * 100) / 100 };
    }
    onWait(busyCores);
  }
}
