import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { PROJECT_ROOT } from '../../local-stack/config.ts';

/** What `npm run bench` hands every benchmark: the shared bench stack's variables. */
export interface BenchContext {
  stack: Record<string, string>;
}

export type Bench = (ctx: BenchContext) => Promise<void>;

/** The q-th percentile (0–100) of a list of numbers, nearest-rank. */
export function percentile(values: number[], q: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1))]!;
}

/** Prints rows as an aligned table under a title. */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  process.stdout.write(`\n${title}\n`);
  if (!rows.length) return;
  const cols = Object.keys(rows[0]!);
  const cell = (v: string | number | undefined) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : (v ?? ''));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`${line(cols)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => cell(r[c])))}\n`);
}

/** Writes a benchmark's figures to `bench-results/<name>.json` (git-ignored). */
export function writeResult(name: string, data: unknown): string {
  const dir = path.join(PROJECT_ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ name, at: new Date().toISOString(), ...((data as object) ?? {}) }, null, 2)}\n`);
  return file;
}

/** Load on one URL with autocannon (16 connections, 5 s by default), as one table row. */
export async function loadRow(opts: { url: string; headers?: Record<string, string>; connections?: number; seconds?: number }) {
  const connections = opts.connections ?? 16;
  const result = await autocannon({ url: opts.url, headers: opts.headers, connections, duration: opts.seconds ?? 5 });
  return {
    connections,
    requests_per_s: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p97_5_ms: result.latency.p97_5,
    p99_ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}
