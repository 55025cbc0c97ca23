import type pg from 'pg';
import type { Logger } from '../log.ts';
import { setLocalSettings } from '../pg-settings.ts';
import type { Transaction } from './feed.ts';
import type { Change, ColumnValue } from './test-decoding.ts';
import type { Channel, Hub } from './hub.ts';
import { matchesFilter, type PgSubscription } from './filter.ts';

/**
 * Postgres Changes: committed rows of tables in the `supabase_realtime` publication, each sent
 * only to subscribers whose filter matches and whose RLS lets them see the row. Mirrors
 * supabase/realtime's `realtime.apply_rls`: per change and subscriber the session takes the
 * subscriber's role and claims and selects the row by primary key; DELETEs skip RLS.
 */

const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

interface TableInfo {
  columns: { name: string; type: string }[];
  pk: { name: string; type: string }[];
}

/** Routes decoded transactions: `realtime.messages` rows to broadcast topics, the rest to Postgres Changes. */
export class ChangeRouter {
  private tables = new Map<string, TableInfo>();
  private published = new Set<string>();
  private publishedAt = 0;

  constructor(
    private readonly hub: Hub,
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  /** Checks that each subscribed table exists (the `system` reply after a join). */
  async ensureTables(subs: PgSubscription[]) {
    for (const s of subs) {
      const schema = s.params.schema ?? 'public';
      const table = s.params.table;
      if (!table || table === '*' || schema === '*') continue;
      await this.info(schema, table);
    }
  }

  /** The feed parses only `realtime.messages` and, while someone listens, other tables. */
  wants(schema: string, table: string): boolean {
    if (schema === 'realtime' && /^messages(_|$)/.test(table)) return true;
    return this.hub.pgSubscriptions > 0 && !(schema === 'realtime' || schema === 'auth' || schema === 'storage');
  }

  async onTransaction(tx: Transaction) {
    for (const change of tx.changes) {
      if (change.schema === 'realtime' && /^messages(_|$)/.test(change.table)) {
        if (change.op === 'INSERT') this.broadcastMessage(change);
        continue;
      }
      if (this.hub.pgSubscriptions === 0) continue;
      await this.postgresChange(change, tx.committedAt);
    }
  }

  private broadcastMessage(change: Change) {
    const col = (name: string) => change.columns.find((c) => c.name === name)?.value;
    if (col('extension') !== 'broadcast') return;
    const topic = col('topic');
    const event = col('event');
    const id = col('id');
    if (!topic || !event || !id) return;
    const isPrivate = col('private') === 'true';
    const binary = col('binary_payload');
    const json = col('payload');
    const body =
      typeof binary === 'string' ? Buffer.from(binary.replace(/^\\x/, ''), 'hex') : typeof json === 'string' ? Buffer.from(json) : undefined;
    if (!body) return;
    this.hub.deliver(`${isPrivate ? 'private' : 'public'}:${topic}`, {
      kind: 'user',
      topic: `realtime:${topic}`,
      event,
      encoding: typeof binary === 'string' ? 'binary' : 'json',
      body,
      meta: { id },
    });
  }

  private async isPublished(schema: string, table: string): Promise<boolean> {
    if (Date.now() - this.publishedAt > 1000) {
      const { rows } = await this.pool.query<{ s: string; t: string }>(
        `select schemaname as s, tablename as t from pg_publication_tables where pubname = 'supabase_realtime'`,
      );
      this.published = new Set(rows.map((r) => `${r.s}.${r.t}`));
      this.publishedAt = Date.now();
    }
    return this.published.has(`${schema}.${table}`);
  }

  private async info(schema: string, table: string): Promise<TableInfo> {
    const key = `${schema}.${table}`;
    const cached = this.tables.get(key);
    if (cached) return cached;
    const rel = `${q(schema)}.${q(table)}`;
    const { rows } = await this.pool.query<{ name: string; type: string; pk: boolean; fmt: string }>(
      `select a.attname as name, t.typname as type, format_type(a.atttypid, a.atttypmod) as fmt,
              coalesce(a.attnum = any(i.indkey), false) as pk
         from pg_attribute a
         join pg_type t on t.oid = a.atttypid
         left join pg_index i on i.indrelid = a.attrelid and i.indisprimary
        where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped
        order by a.attnum`,
      [rel],
    );
    const info: TableInfo = {
      columns: rows.map((r) => ({ name: r.name, type: r.type })),
      pk: rows.filter((r) => r.pk).map((r) => ({ name: r.name, type: r.fmt })),
    };
    this.tables.set(key, info);
    return info;
  }

  /** Text values → the typed JSON `to_jsonb` gives, through each column's input function. */
  private async toRecord(schema: string, table: string, cols: ColumnValue[]): Promise<Record<string, unknown>> {
    const obj: Record<string, unknown> = {};
    for (const c of cols) {
      if (c.value === undefined) continue;
      obj[c.name] = c.value !== null && (c.type === 'json' || c.type === 'jsonb') ? JSON.parse(c.value) : c.value;
    }
    const { rows } = await this.pool.query<{ j: Record<string, unknown> }>(
      `select to_jsonb(r) as j from jsonb_populate_record(null::${q(schema)}.${q(table)}, $1::jsonb) r`,
      [JSON.stringify(obj)],
    );
    const full = rows[0]!.j;
    const present = new Set(cols.filter((c) => c.value !== undefined).map((c) => c.name));
    return Object.fromEntries(Object.entries(full).filter(([k]) => present.has(k)));
  }

  private async postgresChange(change: Change, committedAt: string) {
    const { schema, table, op } = change;
    const matching: { channel: Channel; ids: number[] }[] = [];
    for (const channel of this.hub.channels()) {
      const ids = channel.pgSubs
        .filter((s) => {
          const ev = s.params.event ?? '*';
          const sch = s.params.schema ?? 'public';
          return (ev === '*' || ev === op) && (sch === '*' || sch === schema) && (!s.params.table || s.params.table === '*' || s.params.table === table);
        })
        .map((s) => s.id);
      if (ids.length) matching.push({ channel, ids });
    }
    if (!matching.length || !(await this.isPublished(schema, table))) return;
    let info: TableInfo;
    try {
      info = await this.info(schema, table);
    } catch {
      return;
    }
    const record = op === 'DELETE' ? {} : await this.toRecord(schema, table, change.columns);
    const oldRecord = change.oldColumns?.length ? await this.toRecord(schema, table, change.oldColumns) : {};
    const data = {
      schema,
      table,
      commit_timestamp: committedAt,
      type: op,
      columns: info.columns,
      record: op === 'DELETE' ? undefined : record,
      old_record: op === 'INSERT' ? undefined : oldRecord,
      errors: null,
    };
    for (const { channel, ids } of matching) {
      const subs = channel.pgSubs.filter((s) => ids.includes(s.id));
      const visible = subs.filter((s) => matchesFilter(s.filter, op === 'DELETE' ? oldRecord : record) || (op === 'DELETE' && s.filter && !(s.filter.column in oldRecord)));
      if (!visible.length) continue;
      if (op !== 'DELETE' && !(await this.canSee(channel, schema, table, info, change.columns))) continue;
      channel.push('postgres_changes', { ids: visible.map((s) => s.id), data });
    }
  }

  /** Whether the subscriber's role and claims select the row (upstream's per-subscriber RLS). */
  private async canSee(channel: Channel, schema: string, table: string, info: TableInfo, cols: ColumnValue[]): Promise<boolean> {
    if (!info.pk.length) return false;
    const params: unknown[] = [];
    const where = info.pk
      .map((k) => {
        params.push(cols.find((c) => c.name === k.name)?.value ?? null);
        return `${q(k.name)} = $${params.length}::${k.type}`;
      })
      .join(' and ');
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('begin read only');
      await setLocalSettings(client, [
        ['role', String(channel.claims.role)],
        ['request.jwt.claims', JSON.stringify(channel.claims)],
        ['request.jwt.claim.sub', typeof channel.claims.sub === 'string' ? channel.claims.sub : ''],
        ['request.jwt.claim.role', String(channel.claims.role)],
      ]);
      const { rowCount } = await client.query(`select 1 from ${q(schema)}.${q(table)} where ${where}`, params);
      return (rowCount ?? 0) > 0;
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'postgres_changes RLS check failed');
      return false;
    } finally {
      await client.query('rollback').catch(() => {
        broken = true;
      });
      client.release(broken);
    }
  }
}
