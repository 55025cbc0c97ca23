import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signHs256 } from '../../local-stack/jwt.ts';
import { db, stack } from '../setup/clients.ts';

// Realtime through supabase-js `channel()`: public and private broadcast, RLS-authorized
// joins, database broadcasts, token updates, presence and postgres_changes. Fixture topics
// start with `rtt:` and are authorized by test-only policies on realtime.messages.

const clients: SupabaseClient[] = [];
const ORG_A = randomUUID();
const ORG_B = randomUUID();

/** supabase-js with the anon key, or with a user's token as the `accessToken` option gives it. */
function client(vsn?: '1.0.0' | '2.0.0', accessToken?: () => Promise<string>): SupabaseClient {
  const s = stack();
  const c = createClient(s.API_URL!, s.ANON_KEY!, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never, ...(vsn ? { vsn } : {}) } as never,
    ...(accessToken ? { accessToken } : {}),
  });
  clients.push(c);
  return c;
}

async function token(claims: Record<string, unknown>, seconds = 3600) {
  return signHs256(stack().JWT_SECRET!, { aud: 'authenticated', role: 'authenticated', sub: randomUUID(), ...claims }, seconds);
}

/** A signed-in user's client; `swap` changes its token on the live socket as a refresh does. */
async function userClient(claims: Record<string, unknown>, seconds?: number, vsn?: '1.0.0' | '2.0.0') {
  let current = await token(claims, seconds);
  const c = client(vsn, async () => current);
  // The first join otherwise races supabase-js's initial token fetch and goes out with the apikey.
  await c.realtime.setAuth();
  return Object.assign(c, {
    async swap(next: string) {
      current = next;
      await c.realtime.setAuth();
    },
  });
}

/** Resolves once joined; rejects with the server's reason when the join is refused. */
function subscribe(channel: RealtimeChannel): Promise<RealtimeChannel> {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve(channel);
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
    });
  });
}

/** Collects events of one kind on a channel, with a way to wait for the nth. */
function collector<T = any>() {
  const items: T[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    items,
    push(item: T) {
      items.push(item);
      for (const w of waiters.filter((w) => items.length >= w.n)) w.resolve();
    },
    async waitFor(n: number, ms = 5000) {
      if (items.length >= n) return items;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`waited for ${n} items, got ${items.length}`)), ms);
        waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
      });
      return items;
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Fixtures live outside `public` (no generated types) and follow the advisors' policy rules,
// since other files of the layer check both against the same database.
beforeAll(async () => {
  const c = await db();
  try {
    await c.query(`
      drop policy if exists "rtt: members read own org topic" on realtime.messages;
      create policy "rtt: members read own org topic" on realtime.messages for select to authenticated
        using ((select realtime.topic()) = 'rtt:org:' || ((select auth.jwt()) ->> 'org_id'));
      drop policy if exists "rtt: members send on own org topic" on realtime.messages;
      create policy "rtt: members send on own org topic" on realtime.messages for insert to authenticated
        with check ((select realtime.topic()) = 'rtt:org:' || ((select auth.jwt()) ->> 'org_id') and ((select auth.jwt()) ->> 'org_role') <> 'viewer');
      create schema if not exists rtt;
      grant usage on schema rtt to authenticated;
      create table if not exists rtt.items (
        id bigint generated always as identity primary key,
        org_id uuid not null,
        title text not null,
        amount integer,
        meta jsonb
      );
      create index if not exists items_org_id_idx on rtt.items (org_id);
      alter table rtt.items enable row level security;
      drop policy if exists "items: members select own org" on rtt.items;
      create policy "items: members select own org" on rtt.items for select to authenticated
        using (org_id = ((select auth.jwt()) ->> 'org_id')::uuid);
      grant select on rtt.items to authenticated;
    `);
    await c.query(`
      do $$ begin
        if not exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'rtt' and tablename = 'items') then
          alter publication supabase_realtime add table rtt.items;
        end if;
      end $$;
    `);
  } finally {
    await c.end();
  }
});

afterAll(async () => {
  for (const c of clients) await c.removeAllChannels();
});

describe('websocket and public channels', () => {
  it('joins, answers heartbeats on the phoenix topic and leaves', async () => {
    const c = client();
    const ch = await subscribe(c.channel(`room-${randomUUID()}`));
    const ws = new WebSocket(`${stack().API_URL!.replace('http', 'ws')}/realtime/v1/websocket?apikey=${stack().ANON_KEY}&vsn=2.0.0`);
    const replies = collector<any>();
    ws.on('message', (d) => replies.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify([null, '7', 'phoenix', 'heartbeat', {}]));
    ws.send(JSON.stringify([null, '8', 'realtime:never-joined', 'broadcast', { type: 'broadcast', event: 'x', payload: {} }]));
    const [hb, unmatched] = await replies.waitFor(2);
    expect(hb).toEqual([null, '7', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
    expect(unmatched).toEqual([null, '8', 'realtime:never-joined', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }]);
    ws.close();
    expect(await ch.unsubscribe()).toBe('ok');
  });

  it('refuses a websocket whose apikey is not a valid JWT, as upstream’s UserSocket does', async () => {
    const ws = new WebSocket(`${stack().API_URL!.replace('http', 'ws')}/realtime/v1/websocket?apikey=nope&vsn=2.0.0`);
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
  });

  it('accepts the publishable key as the anon key', async () => {
    const s = stack();
    const c = createClient(s.API_URL!, s.PUBLISHABLE_KEY!, { realtime: { transport: WebSocket as never } as never, auth: { persistSession: false } });
    clients.push(c);
    await subscribe(c.channel(`room-${randomUUID()}`));
  });

  it('broadcasts between clients with ack, and to the sender only with self', async () => {
    const topic = `room-${randomUUID()}`;
    const a = client();
    const b = client();
    const gotA = collector();
    const gotB = collector();
    const chA = await subscribe(a.channel(topic, { config: { broadcast: { ack: true } } }).on('broadcast', { event: 'msg' }, (m) => gotA.push(m)));
    await subscribe(b.channel(topic, { config: { broadcast: { self: true } } }).on('broadcast', { event: 'msg' }, (m) => gotB.push(m)));
    expect(await chA.send({ type: 'broadcast', event: 'msg', payload: { text: 'héllo 👋' } })).toBe('ok');
    const [m] = await gotB.waitFor(1);
    expect(m).toMatchObject({ type: 'broadcast', event: 'msg', payload: { text: 'héllo 👋' } });
    // b has self on: it hears itself; a (self off) does not hear its own message.
    await b.channel(topic).send({ type: 'broadcast', event: 'msg', payload: { n: 2 } });
    await gotB.waitFor(2);
    await gotA.waitFor(1);
    expect(gotA.items).toHaveLength(1);
    expect(gotA.items[0].payload).toEqual({ n: 2 });
  });

  it('carries binary payloads on protocol 2.0.0 and JSON to a 1.0.0 client', async () => {
    const topic = `room-${randomUUID()}`;
    const v2 = client('2.0.0');
    const v1 = client('1.0.0');
    const got2 = collector();
    const got1 = collector();
    const sender = await subscribe(client('2.0.0').channel(topic));
    await subscribe(v2.channel(topic).on('broadcast', { event: '*' }, (m) => got2.push(m)));
    await subscribe(v1.channel(topic).on('broadcast', { event: '*' }, (m) => got1.push(m)));
    const bytes = new Uint8Array([1, 2, 3, 250]).buffer;
    await sender.send({ type: 'broadcast', event: 'bin', payload: bytes });
    await sender.send({ type: 'broadcast', event: 'json', payload: { ok: true } });
    await got2.waitFor(2);
    expect(new Uint8Array(got2.items[0].payload)).toEqual(new Uint8Array([1, 2, 3, 250]));
    expect(got2.items[1]).toMatchObject({ event: 'json', payload: { ok: true } });
    // A 1.0.0 socket cannot represent binary payloads: it receives only the JSON one.
    await got1.waitFor(1);
    await pause(100);
    expect(got1.items.map((m) => m.event)).toEqual(['json']);
  });

  it('sends over REST with httpSend', async () => {
    const topic = `room-${randomUUID()}`;
    const got = collector();
    await subscribe(client().channel(topic).on('broadcast', { event: 'rest' }, (m) => got.push(m)));
    const res = await client().channel(topic).httpSend('rest', { via: 'http' });
    expect(res).toEqual({ success: true });
    const [m] = await got.waitFor(1);
    expect(m.payload).toEqual({ via: 'http' });
  });
});

describe('private channels authorized by RLS on realtime.messages', () => {
  it('lets a member of the org join and receive; refuses another org, anon and a bad token', async () => {
    const topic = `rtt:org:${ORG_A}`;
    const member = await userClient({ org_id: ORG_A, org_role: 'manager' });
    const got = collector();
    await subscribe(member.channel(topic, { config: { private: true } }).on('broadcast', { event: '*' }, (m) => got.push(m)));

    const other = await userClient({ org_id: ORG_B, org_role: 'manager' });
    const otherGot = collector();
    await expect(subscribe(other.channel(topic, { config: { private: true } }).on('broadcast', { event: '*' }, (m) => otherGot.push(m)))).rejects.toThrow(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`,
    );
    await expect(subscribe(client().channel(topic, { config: { private: true } }))).rejects.toThrow(/Unauthorized/);

    const bad = await signHs256('not-the-secret-not-the-secret-not-the', { role: 'authenticated', org_id: ORG_A }, 60);
    const forged = client(undefined, async () => bad);
    await forged.realtime.setAuth();
    await expect(subscribe(forged.channel(topic, { config: { private: true } }))).rejects.toThrow('JwtSignatureError: Failed to validate JWT signature');

    const c = await db();
    await c.query(`select realtime.send('{"n":1}'::jsonb, 'ping', $1, true)`, [topic]);
    await c.end();
    await got.waitFor(1);
    await pause(100);
    expect(otherGot.items).toHaveLength(0);
  });

  it('needs the INSERT policy to send: a viewer’s broadcast is dropped', async () => {
    const topic = `rtt:org:${ORG_A}`;
    const got = collector();
    await subscribe((await userClient({ org_id: ORG_A, org_role: 'manager' })).channel(topic, { config: { private: true } }).on('broadcast', { event: '*' }, (m) => got.push(m)));
    const viewer = await subscribe((await userClient({ org_id: ORG_A, org_role: 'viewer' })).channel(topic, { config: { private: true, broadcast: { ack: true } } }));
    const manager = await subscribe((await userClient({ org_id: ORG_A, org_role: 'manager' })).channel(topic, { config: { private: true, broadcast: { ack: true } } }));
    expect(await viewer.send({ type: 'broadcast', event: 'from', payload: { who: 'viewer' } }, { timeout: 500 })).toBe('timed out');
    expect(await manager.send({ type: 'broadcast', event: 'from', payload: { who: 'manager' } })).toBe('ok');
    await got.waitFor(1);
    await pause(100);
    expect(got.items.map((m) => m.payload.who)).toEqual(['manager']);
    const denied = await viewer.httpSend('from', { who: 'viewer-http' }).catch((e: Error) => e.message);
    expect(denied).toBe('Unauthorized');
  });

  it('keeps public and private channels of the same name apart', async () => {
    const topic = `rtt:org:${ORG_A}`;
    const pub = collector();
    await subscribe(client().channel(topic).on('broadcast', { event: '*' }, (m) => pub.push(m)));
    const priv = collector();
    await subscribe((await userClient({ org_id: ORG_A, org_role: 'manager' })).channel(topic, { config: { private: true } }).on('broadcast', { event: '*' }, (m) => priv.push(m)));
    const c = await db();
    await c.query(`select realtime.send('{"secret":true}'::jsonb, 'private-only', $1, true)`, [topic]);
    await c.end();
    await priv.waitFor(1);
    await pause(100);
    expect(pub.items).toHaveLength(0);
  });
});

describe('broadcasts from the database', () => {
  it('delivers realtime.send and broadcast_changes in commit order, none lost, large payloads whole', async () => {
    const topic = `rtt:org:${ORG_A}`;
    const got = collector();
    await subscribe((await userClient({ org_id: ORG_A, org_role: 'manager' })).channel(topic, { config: { private: true } }).on('broadcast', { event: '*' }, (m) => got.push(m)));
    const c = await db();
    const big = 'x'.repeat(200_000);
    try {
      for (let tx = 0; tx < 20; tx++) {
        await c.query('begin');
        for (let i = 0; i < 10; i++) await c.query(`select realtime.send(jsonb_build_object('seq', $1::int), 'seq', $2, true)`, [tx * 10 + i, topic]);
        await c.query('commit');
      }
      await c.query('begin');
      await c.query(`select realtime.send('{"lost":true}'::jsonb, 'seq', $1, true)`, [topic]);
      await c.query('rollback');
      await c.query(`select realtime.send(jsonb_build_object('big', $1::text), 'big', $2, true)`, [big, topic]);
    } finally {
      await c.end();
    }
    const items = await got.waitFor(201);
    expect(items.slice(0, 200).map((m) => m.payload.seq)).toEqual([...Array(200).keys()]);
    expect(items[0].meta.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(items[200].event).toBe('big');
    expect(items[200].payload.big).toHaveLength(200_000);
    expect(items.some((m) => m.payload.lost)).toBe(false);
  });
});

describe('tokens on a live channel', () => {
  it('closes a channel whose token expires, with upstream’s system message', async () => {
    const c = await userClient({ org_id: ORG_A, org_role: 'manager' }, 2);
    const system = collector();
    const ch = c.channel(`rtt:org:${ORG_A}`, { config: { private: true } }).on('system', {}, (m) => system.push(m));
    await subscribe(ch);
    const [m] = await system.waitFor(1, 5000);
    expect(m).toMatchObject({ extension: 'system', status: 'error', message: expect.stringMatching(/^Token has expired \d+ seconds ago$/) });
    await pause(100);
    expect(ch.state).toBe('closed');
  });

  it('refuses to join with an expired token', async () => {
    const c = await userClient({ org_id: ORG_A }, -10);
    await expect(subscribe(c.channel(`rtt:org:${ORG_A}`, { config: { private: true } }))).rejects.toThrow(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
  });

  it('re-checks RLS on a new token: another org’s token closes the channel', async () => {
    const c = await userClient({ org_id: ORG_A, org_role: 'manager' });
    const system = collector();
    const ch = await subscribe(c.channel(`rtt:org:${ORG_A}`, { config: { private: true } }).on('system', {}, (m) => system.push(m)));
    await c.swap(await token({ org_id: ORG_A, org_role: 'admin' }));
    await pause(200);
    expect(ch.state).toBe('joined');
    await c.swap(await token({ org_id: ORG_B, org_role: 'manager' }));
    const [m] = await system.waitFor(1);
    expect(m.message).toBe(`You do not have permissions to read from this Channel topic: rtt:org:${ORG_A}`);
  });
});

describe('presence', () => {
  it('syncs tracked state and diffs on track and untrack', async () => {
    const topic = `room-${randomUUID()}`;
    const a = client().channel(topic, { config: { presence: { key: 'alice' } } });
    const syncs = collector();
    const leaves = collector();
    a.on('presence', { event: 'sync' }, () => syncs.push(a.presenceState())).on('presence', { event: 'leave' }, (l) => leaves.push(l));
    await subscribe(a);
    const b = client().channel(topic, { config: { presence: { key: 'bob' } } });
    await subscribe(b);
    expect(await b.track({ status: 'online' })).toBe('ok');
    await syncs.waitFor(2);
    const state = a.presenceState() as Record<string, any[]>;
    expect(state.bob?.[0]).toMatchObject({ status: 'online' });
    expect(await b.untrack()).toBe('ok');
    const [l] = await leaves.waitFor(1);
    expect(l.key).toBe('bob');
  });
});

describe('postgres_changes', () => {
  it('delivers changes with filters, only to subscribers whose RLS shows the row', async () => {
    const a = await userClient({ org_id: ORG_A, org_role: 'manager' });
    const b = await userClient({ org_id: ORG_B, org_role: 'manager' });
    const gotA = collector();
    const gotB = collector();
    const gotFiltered = collector();
    await subscribe(a.channel(`pg-${randomUUID()}`).on('postgres_changes', { event: '*', schema: 'rtt', table: 'items' }, (p) => gotA.push(p)));
    await subscribe(b.channel(`pg-${randomUUID()}`).on('postgres_changes', { event: 'INSERT', schema: 'rtt', table: 'items' }, (p) => gotB.push(p)));
    await subscribe(
      a.channel(`pg-${randomUUID()}`).on('postgres_changes', { event: 'INSERT', schema: 'rtt', table: 'items', filter: 'amount=gt.100' }, (p) => gotFiltered.push(p)),
    );
    const c = await db();
    try {
      await c.query(`insert into rtt.items (org_id, title, amount, meta) values ($1, 'small', 5, '{"k":[1,2]}'), ($1, 'large', 500, null)`, [ORG_A]);
      await c.query(`update rtt.items set title = 'renamed' where org_id = $1 and title = 'small'`, [ORG_A]);
    } finally {
      await c.end();
    }
    const items = await gotA.waitFor(3);
    expect(items.map((p) => p.eventType)).toEqual(['INSERT', 'INSERT', 'UPDATE']);
    expect(items[0]).toMatchObject({ schema: 'rtt', table: 'items', new: { org_id: ORG_A, title: 'small', amount: 5, meta: { k: [1, 2] } } });
    expect(items[2].new.title).toBe('renamed');
    expect(new Date(items[0].commit_timestamp).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const [f] = await gotFiltered.waitFor(1);
    expect(f.new.title).toBe('large');
    await pause(150);
    expect(gotFiltered.items).toHaveLength(1);
    expect(gotB.items).toHaveLength(0);
  });
});

describe('robustness', () => {
  it('resumes where it stopped when its database connections drop, losing nothing', async () => {
    const topic = `resume-${randomUUID()}`;
    const got = collector();
    await subscribe(client().channel(topic).on('broadcast', { event: '*' }, (m) => got.push(m)));
    const c = await db();
    try {
      await c.query(`select realtime.send('{"n":0}'::jsonb, 'n', $1, false)`, [topic]);
      await got.waitFor(1);
      // What a database restart does to the service: every connection of it is cut.
      const cut = await c.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'lintel realtime%'`);
      expect(cut.rowCount).toBeGreaterThan(0);
      for (let n = 1; n <= 20; n++) await c.query(`select realtime.send(jsonb_build_object('n', $1::int), 'n', $2, false)`, [n, topic]);
    } finally {
      await c.end();
    }
    const items = await got.waitFor(21, 10_000);
    expect(items.map((m) => m.payload.n)).toEqual([...Array(21).keys()]);
  });

  it('decodes an open transaction’s WAL once, and delivers what others commit meanwhile', async () => {
    // A rent run holds one transaction open for seconds while it writes. Polling the slot
    // would decode everything that transaction wrote again at every poll (the slot cannot move
    // past its start); a streamed slot reads each WAL record once. The feed's backend counts
    // the WAL it reads in PostgreSQL 18's per-backend I/O statistics; older servers (a stack
    // layer run with LINTEL_TEST_PG=15) only show that the feed's backend is a walsender.
    const topic = `long-${randomUUID()}`;
    const got = collector();
    await subscribe(client().channel(topic).on('broadcast', { event: '*' }, (m) => got.push(m)));
    const c = await db();
    const big = await db();
    try {
      const feed = await c.query<{ pid: number; backend_type: string; v: number }>(
        `select pid, backend_type, current_setting('server_version_num')::int as v from pg_stat_activity where application_name = 'lintel realtime feed'`,
      );
      expect(feed.rows).toHaveLength(1);
      expect(feed.rows[0]!.backend_type).toBe('walsender');
      const counts = feed.rows[0]!.v >= 180000;
      const walRead = async () => {
        if (!counts) return 0;
        const { rows } = await c.query<{ bytes: string }>(
          `select coalesce(sum(read_bytes), 0) as bytes from pg_stat_get_backend_io($1) where object = 'wal'`,
          [feed.rows[0]!.pid],
        );
        return Number(rows[0]!.bytes);
      };
      const send = (n: number) => c.query(`select realtime.send(jsonb_build_object('n', $1::int), 'n', $2, false)`, [n, topic]);
      const before = await walRead();
      const from = (await c.query<{ lsn: string }>('select pg_current_wal_lsn() as lsn')).rows[0]!.lsn;

      await big.query('begin');
      await big.query('create table rtt.long_run_scratch (id int primary key, pad text)');
      await big.query(`insert into rtt.long_run_scratch select g, md5(g::text) from generate_series(1, 200000) g`);
      // Commits of other sessions arrive while the big transaction is still open.
      for (let n = 0; n < 10; n++) {
        await send(n);
        await got.waitFor(n + 1);
        await pause(100);
      }
      await big.query('rollback');
      await send(10);
      await got.waitFor(11);
      expect(got.items.map((m) => m.payload.n)).toEqual([...Array(11).keys()]);

      const { rows } = await c.query<{ bytes: string }>('select pg_current_wal_lsn() - $1::pg_lsn as bytes', [from]);
      const written = Number(rows[0]!.bytes);
      expect(written).toBeGreaterThan(10_000_000);
      if (!counts) return;
      // Backends publish their I/O counts about once a second: wait until the reads show.
      let read = (await walRead()) - before;
      for (let i = 0; i < 50 && read < written / 2; i++) {
        await pause(100);
        read = (await walRead()) - before;
      }
      expect(read).toBeGreaterThan(written / 2);
      expect(read).toBeLessThan(written * 2);
    } finally {
      await big.end();
      await c.end();
    }
  });

  it('drops a client that stops reading without holding up the others', async () => {
    const topic = `slow-${randomUUID()}`;
    const got = collector();
    await subscribe(client().channel(topic).on('broadcast', { event: '*' }, (m) => got.push(m)));
    const slow = new WebSocket(`${stack().API_URL!.replace('http', 'ws')}/realtime/v1/websocket?apikey=${stack().ANON_KEY}&vsn=2.0.0`);
    const joined = collector();
    slow.on('message', (d, isBinary) => (isBinary ? undefined : joined.push(JSON.parse(String(d)))));
    await new Promise((r) => slow.once('open', r));
    slow.send(JSON.stringify(['1', '1', `realtime:${topic}`, 'phx_join', { config: {} }]));
    await joined.waitFor(1);
    const closed = new Promise<number>((r) => slow.once('close', (code) => r(code)));
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    const c = await db();
    try {
      // 120 × 200 kB: far more than the kernel's socket buffers and the server's 16 MB allowance.
      for (let n = 0; n < 120; n++) {
        await c.query(`select realtime.send(jsonb_build_object('n', $1::int, 'pad', repeat('x', 200000)), 'n', $2, false)`, [n, topic]);
      }
    } finally {
      await c.end();
    }
    const items = await got.waitFor(120, 20_000);
    expect(items.map((m) => m.payload.n)).toEqual([...Array(120).keys()]);
    (slow as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toBe(1006);
  });
});
