import pg from 'pg';
import type { Logger } from '../log.ts';

/**
 * Committed changes from the database, in commit order and none lost, read from a logical
 * replication slot as Realtime reads the WAL. The slot is decoded with `test_decoding` (built
 * into every PostgreSQL, unlike wal2json) through `pg_logical_slot_get_changes`; a small
 * parser for its text format is written here because no npm library parses it. The slot is
 * persistent, so after a database restart the feed reconnects and resumes where it stopped.
 */

export interface ColumnValue {
  name: string;
  /** `format_type` spelling, e.g. `integer`, `timestamp with time zone`, `text[]`. */
  type: string;
  /** Text form; null for SQL NULL; undefined for an unchanged TOAST value. */
  value: string | null | undefined;
}

export interface Change {
  schema: string;
  table: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  columns: ColumnValue[];
  oldColumns: ColumnValue[] | undefined;
}

export interface Transaction {
  changes: Change[];
  /** ISO-8601 commit time (Realtime's `commit_timestamp`). */
  committedAt: string;
}

export interface FeedOptions {
  dbUrl: string;
  slot: string;
  logger: Logger;
  onTransaction(tx: Transaction): Promise<void>;
  /** Whether a table's changes are wanted now; others are skipped before their values are parsed. */
  wants(schema: string, table: string): boolean;
  /** How long to wait between polls when nothing arrived. */
  idleMs?: number;
}

export interface Feed {
  stop(): Promise<void>;
  /** Whether the slot is being read (false while the database is away). */
  connected(): boolean;
}

export async function startFeed(opts: FeedOptions): Promise<Feed> {
  const idleMs = opts.idleMs ?? 10;
  let running = true;
  let client: pg.Client | undefined;
  let isConnected = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  // Logical decoding only reads flushed WAL. With synchronous_commit off (the throwaway test
  // stacks) a commit may wait up to wal_writer_delay (200 ms) for its flush, so the feed flushes
  // pending WAL itself before each read, with a non-transactional logical message (PG 17+).
  let nudge = false;
  const connect = async (): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: opts.dbUrl, application_name: 'lintel realtime feed' });
    c.on('error', () => undefined);
    await c.connect();
    // PostgreSQL 18's test_decoding crashes the server (SIGSEGV, then a crash loop as the feed
    // retries) decoding a large transaction that spilled to disk and was rolled back, e.g. a
    // cancelled rent run. Keeping transactions in memory up to 1 GB avoids the spill path.
    await c.query(`set logical_decoding_work_mem = '1GB'`);
    const { rows } = await c.query<{ off: boolean; v: number }>(
      `select current_setting('synchronous_commit') = 'off' as off, current_setting('server_version_num')::int as v`,
    );
    nudge = rows[0]!.off && rows[0]!.v >= 170000;
    return c;
  };

  // The first connection creates the slot, or skips what an earlier run left unread: no
  // subscriber of this run could have been waiting for it.
  client = await connect();
  const exists = await client.query('select 1 from pg_replication_slots where slot_name = $1', [opts.slot]);
  if (exists.rowCount) {
    await client.query('select pg_replication_slot_advance($1, pg_current_wal_lsn())', [opts.slot]);
  } else {
    await client.query(`select pg_create_logical_replication_slot($1, 'test_decoding')`, [opts.slot]);
  }
  isConnected = true;

  const loop = (async () => {
    let backoff = 100;
    while (running) {
      try {
        if (!client) {
          client = await connect();
          isConnected = true;
          backoff = 100;
          opts.logger.info('realtime feed reconnected to the database');
        }
        if (nudge) {
          await client.query(
            `select case when pg_current_wal_insert_lsn() > pg_current_wal_flush_lsn()
                    then pg_logical_emit_message(false, 'lintel-realtime', '', true) end`,
          );
        }
        const { rows } = await client.query<{ data: string }>(
          `select data from pg_logical_slot_get_changes($1, null, 5000,
             'include-xids', '0', 'include-timestamp', '1', 'skip-empty-xacts', '1')`,
          [opts.slot],
        );
        let changes: Change[] = [];
        for (const { data } of rows) {
          if (data.startsWith('BEGIN')) {
            changes = [];
          } else if (data.startsWith('COMMIT')) {
            const at = /\(at (.+)\)$/.exec(data)?.[1];
            const committedAt = at ? toIso(at) : new Date().toISOString();
            try {
              await opts.onTransaction({ changes, committedAt });
            } catch (err) {
              opts.logger.error({ err }, 'realtime could not deliver a transaction');
            }
            changes = [];
          } else {
            const change = parseChange(data, opts.wants);
            if (change) changes.push(change);
          }
        }
        if (rows.length === 0 && running) await sleep(idleMs);
      } catch (err) {
        if (!running) break;
        isConnected = false;
        opts.logger.warn({ err: (err as Error).message }, 'realtime feed lost the database; retrying');
        await client?.end().catch(() => undefined);
        client = undefined;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  })();

  return {
    connected: () => isConnected,
    async stop() {
      running = false;
      wake?.();
      await loop;
      try {
        client ??= await connect();
        await client.query('select pg_drop_replication_slot($1)', [opts.slot]);
      } catch {
        // The database may already be gone; an orphan slot is dropped by the next start's advance.
      }
      await client?.end().catch(() => undefined);
    },
  };
}

/** `2026-11-24 07:00:00.123+00` → `2026-11-24T07:00:00.123Z`. */
export function toIso(pgTimestamp: string): string {
  const d = new Date(pgTimestamp.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  return Number.isNaN(d.getTime()) ? pgTimestamp : d.toISOString();
}

const OPS = ['INSERT', 'UPDATE', 'DELETE'] as const;

/**
 * One `test_decoding` change line (`table <schema>.<name>: <OP>: <columns>`); undefined for
 * TRUNCATE, lines of unwanted tables and anything unrecognised.
 */
export function parseChange(line: string, wants: (schema: string, table: string) => boolean = () => true): Change | undefined {
  if (!line.startsWith('table ')) return undefined;
  // The name ends at the first ': ' followed by an operation (names are quoted if unusual).
  let nameEnd = -1;
  let op: Change['op'] | undefined;
  for (let i = line.indexOf(': ', 6); i !== -1; i = line.indexOf(': ', i + 1)) {
    op = OPS.find((o) => line.startsWith(`${o}:`, i + 2));
    if (op || line.startsWith('TRUNCATE:', i + 2)) {
      nameEnd = i;
      break;
    }
  }
  if (nameEnd === -1 || !op) return undefined;
  const [schema, table] = splitQualified(line.slice(6, nameEnd));
  if (!wants(schema, table)) return undefined;
  const rest = line.slice(nameEnd + 2 + op.length + 2);
  if (op === 'UPDATE') {
    const sections = parseColumns(rest);
    return { schema, table, op, columns: sections.main, oldColumns: sections.old };
  }
  if (op === 'DELETE') {
    return { schema, table, op, columns: [], oldColumns: rest.startsWith('(no-tuple data)') ? [] : parseColumns(rest).main };
  }
  return { schema, table, op, columns: parseColumns(rest).main, oldColumns: undefined };
}

function splitQualified(name: string): [string, string] {
  const parts: string[] = [];
  let i = 0;
  while (i < name.length) {
    if (name[i] === '"') {
      let s = '';
      i++;
      while (i < name.length) {
        if (name[i] === '"' && name[i + 1] === '"') {
          s += '"';
          i += 2;
        } else if (name[i] === '"') {
          i++;
          break;
        } else s += name[i++];
      }
      parts.push(s);
    } else {
      const dot = name.indexOf('.', i);
      const end = dot === -1 ? name.length : dot;
      parts.push(name.slice(i, end));
      i = end;
    }
    if (name[i] === '.') i++;
  }
  return [parts[0] ?? 'public', parts[1] ?? parts[0] ?? ''];
}

/** Columns of a change; an UPDATE with an old key carries `old-key:` and `new-tuple:` sections. */
function parseColumns(s: string): { main: ColumnValue[]; old: ColumnValue[] | undefined } {
  const main: ColumnValue[] = [];
  let old: ColumnValue[] | undefined;
  let out = main;
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ') i++;
    if (i >= s.length) break;
    if (s.startsWith('old-key: ', i)) {
      old = [];
      out = old;
      i += 'old-key: '.length;
      continue;
    }
    if (s.startsWith('new-tuple: ', i)) {
      out = main;
      i += 'new-tuple: '.length;
      continue;
    }
    let name = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length) {
        if (s[i] === '"' && s[i + 1] === '"') {
          name += '"';
          i += 2;
        } else if (s[i] === '"') {
          i++;
          break;
        } else name += s[i++];
      }
    } else {
      const b = s.indexOf('[', i);
      name = s.slice(i, b);
      i = b;
    }
    // `[type]:` where the type itself may end in `[]`.
    const typeEnd = s.indexOf(']:', i);
    if (typeEnd === -1) break;
    const type = s.slice(i + 1, typeEnd);
    i = typeEnd + 2;
    let value: string | null | undefined;
    if (s[i] === "'") {
      i++;
      let v = '';
      while (i < s.length) {
        if (s[i] === "'" && s[i + 1] === "'") {
          v += "'";
          i += 2;
        } else if (s[i] === "'") {
          i++;
          break;
        } else v += s[i++];
      }
      value = v;
    } else {
      const sp = s.indexOf(' ', i);
      const end = sp === -1 ? s.length : sp;
      const token = s.slice(i, end);
      i = end;
      value = token === 'null' ? null : token === 'unchanged-toast-datum' ? undefined : token;
    }
    out.push({ name, type, value });
  }
  return { main, old };
}
