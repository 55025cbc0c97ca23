import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import type pg from 'pg';
import { PROJECT_ROOT } from '../../local-stack/config.ts';

/** What `npm run bench` hands every benchmark: the shared bench stack's variables. */
export interface BenchContext {
  stack: Record<string, string>;
}

export type Bench = (ctx: BenchContext) => Promise<void>;

/**
 * Milliseconds a local process has run on a CPU so far, from the scheduler's nanosecond counter
 * (/proc/<pid>/schedstat), or undefined when it is gone or not on this machine. On a shared
 * machine wall time also counts other work; this counts only the process's own, finely enough
 * to time one sub-millisecond statement on its backend (/proc/<pid>/stat has 10 ms ticks).
 */
export function processRunMs(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/**
 * A role's own settings (ALTER ROLE ... SET) in this database, as [name, value] pairs: what
 * PostgREST applies to each request it runs as that role, or, for `authenticator`, its `pgrst.*`
 * configuration. Database-specific settings win over ones for all databases.
 */
export async function roleSettings(client: Pick<pg.ClientBase, 'query'>, role: string): Promise<[string, string][]> {
  const { rows } = await client.query<{ k: string; v: string }>(
    `select distinct on (k) k, v from (
       select split_part(s, '=', 1) as k, substr(s, strpos(s, '=') + 1) as v, d.setdatabase
       from pg_catalog.pg_db_role_setting d, unnest(d.setconfig) as s
       where d.setrole = $1::regrole and d.setdatabase in (0, (select oid from pg_database where datname = current_database()))) x
     order by k, setdatabase desc`,
    [role],
  );
  return rows.map((r) => [r.k, r.v]);
}

/** PostgREST's pre-request function (`pgrst.db_pre_request` on `authenticator`), if the project sets one. */
export async function preRequestFunction(client: Pick<pg.ClientBase, 'query'>): Promise<string | undefined> {
  return (await roleSettings(client, 'authenticator')).find(([k]) => k === 'pgrst.db_pre_request')?.[1];
}

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

/**
 * Waits until the stack's realtime feed has decoded everything committed so far. It reads every
 * change on its own backend and in the stack process, so without this a measurement right after
 * a write burst (a fixture, the generated dataset) runs while that backlog is still being
 * digested, on the same cores.
 */
export async function settle(admin: pg.Client, timeoutMs = 30_000, log?: (s: string) => void): Promise<void> {
  const target = (await admin.query('select pg_current_wal_lsn() as lsn')).rows[0].lsn as string;
  const deadline = Date.now() + timeoutMs;
  let said = false;
  while (Date.now() < deadline) {
    const { rows } = await admin.query(
      `select coalesce(bool_and(confirmed_flush_lsn >= $1::pg_lsn), true) as done,
              max(pg_wal_lsn_diff($1::pg_lsn, confirmed_flush_lsn)) as behind
       from pg_replication_slots where slot_type = 'logical'`,
      [target],
    );
    if (rows[0].done) break;
    if (log && !said) {
      log(`Waiting for the realtime feed to decode ${(Number(rows[0].behind) / 1e6).toFixed(0)} MB of earlier writes...\n`);
      said = true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 500));
}
