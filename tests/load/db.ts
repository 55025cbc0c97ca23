import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../../local-stack/config.ts';
import { createLogger } from '../../local-stack/log.ts';
import { startStack } from '../../local-stack/stack.ts';
import { freePort } from '../setup/test-stack.ts';

/**
 * The benchmark database: BENCH_DB_URL if set, else a local stack kept in `.lintel/bench` (on
 * free ports) so the generated dataset survives between runs.
 */
export async function benchDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.BENCH_DB_URL) return { url: process.env.BENCH_DB_URL, stop: async () => undefined };
  const stateDir = path.join(PROJECT_ROOT, '.lintel', 'bench');
  mkdirSync(stateDir, { recursive: true });
  const logger = createLogger('bench', { file: path.join(stateDir, 'bench.log') });
  const config = loadConfig({ stateDir, ports: { api: await freePort(), db: await freePort(), mail: await freePort() } });
  const stack = await startStack(config, logger, { durable: true });
  return { url: stack.status.DB_URL!, stop: () => stack.stop() };
}

/** p-th percentile (0-100) of a list of milliseconds. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Writes bench-results/<name>.json (git-ignored). */
export function writeResults(name: string, data: unknown): string {
  const dir = path.join(PROJECT_ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}
