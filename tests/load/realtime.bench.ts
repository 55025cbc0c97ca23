import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import WebSocket from 'ws';
import { signHs256 } from '../../local-stack/jwt.ts';
import { percentile, printTable, writeResult, type BenchContext } from './lib.ts';

const SUBSCRIBERS = 200;
const LATENCY_ROWS = 100;
const LATENCY_GAP_MS = 50;
const BURST_TRANSACTIONS = 20;
const BURST_ROWS_PER_TRANSACTION = 25;

/**
 * Realtime fan-out as a manager's dashboard sees it: 200 supabase-js clients joined to the
 * private topic `org:<acme>`; each committed maintenance request reaches them through the
 * broadcast trigger, the logical-replication feed and the websocket. The subscribers run in a
 * child process, so the stack and the clients split the machine's 2 cores.
 */
export default async function realtimeBench({ stack }: BenchContext): Promise<void> {
  const db = new pg.Client({ connectionString: stack.DB_URL });
  await db.connect();
  let subscribers: Subscribers | undefined;
  try {
    const { rows } = await db.query<{ org_id: string; user_id: string; unit_id: string }>(
      `select m.org_id, m.user_id, (select u.id from public.units u where u.org_id = m.org_id order by u.id limit 1) as unit_id
         from public.memberships m join public.organizations o on o.id = m.org_id
        where o.slug = 'acme' and m.role = 'manager' limit 1`,
    );
    const { org_id: orgId, user_id: userId, unit_id: unitId } = rows[0]!;
    const token = await signHs256(stack.JWT_SECRET!, { role: 'authenticated', aud: 'authenticated', sub: userId, org_id: orgId, org_role: 'manager' }, 3600);

    const results = [];
    for (const kind of ['websocket', 'supabase-js'] as const) {
      subscribers = await startSubscribers({ kind, apiUrl: stack.API_URL!, anonKey: stack.ANON_KEY!, token, topic: `org:${orgId}` });
      results.push(await measure(kind, subscribers, db, orgId, unitId));
      await subscribers.stop();
      subscribers = undefined;
    }
    printTable(
      `Realtime fan-out to ${SUBSCRIBERS} subscribers of a private org topic (committed row → subscriber)`,
      results.map((r) => ({ clients: r.kind, joined_s: r.join_seconds, ...r.latency })),
    );
    printTable('Sustained fan-out (burst of transactions)', results.map((r) => ({ clients: r.kind, ...r.throughput })));
    writeResult('realtime', { subscribers: SUBSCRIBERS, runs: results });
  } finally {
    await subscribers?.stop();
    await db.query(`delete from public.maintenance_requests where title like 'bench-%'`).catch(() => undefined);
    await db.end();
  }
}

/** One latency pass and one burst against already-joined subscribers. */
async function measure(kind: string, subscribers: Subscribers, db: pg.Client, orgId: string, unitId: string) {
  const joinSeconds = subscribers.joinSeconds;
  const arrivalsOf = (titles: string[]) => subscribers.ask(titles);

  const insert = (titles: string[]) =>
    db.query(
      `insert into public.maintenance_requests (org_id, unit_id, title) select $1, $2, t from unnest($3::text[]) t`,
      [orgId, unitId, titles],
    );
  const waitAll = async (titles: string[], ms: number) => {
    const end = Date.now() + ms;
    for (;;) {
      const got = await arrivalsOf(titles);
      if (titles.every((t) => (got[t]?.length ?? 0) >= SUBSCRIBERS) || Date.now() > end) return got;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const now = () => performance.timeOrigin + performance.now();

  // Latency: one committed row at a time, measured from just before the INSERT is sent.
  const latencies: number[] = [];
  let lost = 0;
  for (let i = 0; i < LATENCY_ROWS; i++) {
    const title = `bench-latency-${i}-${Date.now()}`;
    const t0 = now();
    await insert([title]);
    const got = (await waitAll([title], 5000))[title] ?? [];
    lost += SUBSCRIBERS - got.length;
    for (const t of got) latencies.push(t - t0);
    await new Promise((r) => setTimeout(r, LATENCY_GAP_MS));
  }

  // Throughput: a burst of transactions back to back, until every subscriber has every row.
  const burst = Array.from({ length: BURST_TRANSACTIONS }, (_, tx) =>
    Array.from({ length: BURST_ROWS_PER_TRANSACTION }, (_, i) => `bench-burst-${tx}-${i}-${Date.now()}`),
  );
  const b0 = now();
  for (const titles of burst) await insert(titles);
  const all = burst.flat();
  const got = await waitAll(all, 60_000);
  const last = Math.max(...all.flatMap((t) => got[t] ?? []));
  const burstSeconds = (last - b0) / 1000;
  const delivered = all.reduce((n, t) => n + (got[t]?.length ?? 0), 0);

  const latency = {
    subscribers: SUBSCRIBERS,
    rows: LATENCY_ROWS,
    deliveries: latencies.length,
    lost,
    p50_ms: percentile(latencies, 50),
    p95_ms: percentile(latencies, 95),
    p99_ms: percentile(latencies, 99),
    max_ms: Math.max(...latencies),
  };
  const throughput = {
    subscribers: SUBSCRIBERS,
    rows: all.length,
    transactions: BURST_TRANSACTIONS,
    delivered,
    expected: all.length * SUBSCRIBERS,
    seconds: burstSeconds,
    messages_per_s: Math.round(delivered / burstSeconds),
  };
  return { kind, join_seconds: joinSeconds, latency, throughput };
}

interface Subscribers {
  joinSeconds: number;
  /** Arrival times (ms since the epoch) of each title, one per subscriber that got it. */
  ask(titles: string[]): Promise<Record<string, number[]>>;
  stop(): Promise<void>;
}

interface SubscriberOptions {
  /** supabase-js clients, or bare websockets speaking vsn 2.0.0 (the server's cost alone). */
  kind: 'supabase-js' | 'websocket';
  apiUrl: string;
  anonKey: string;
  token: string;
  topic: string;
}

function startSubscribers(opts: SubscriberOptions): Promise<Subscribers> {
  // A child process runs this same file as the subscribers, like clients on other machines.
  const worker = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, REALTIME_BENCH_SUBSCRIBERS: JSON.stringify(opts) },
  });
  let next = 0;
  const pending = new Map<number, (v: any) => void>();
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (msg: { id?: number; ready?: number; error?: string; result?: unknown }) => {
      if (msg.error) return reject(new Error(msg.error));
      if (msg.ready !== undefined) {
        resolve({
          joinSeconds: msg.ready,
          ask: (titles) =>
            new Promise((res) => {
              const id = next++;
              pending.set(id, res);
              worker.send({ id, titles });
            }),
          async stop() {
            worker.kill();
            await new Promise((r) => worker.once('exit', r));
          },
        });
        return;
      }
      pending.get(msg.id!)?.(msg.result);
      pending.delete(msg.id!);
    });
  });
}

async function runSubscribers(opts: SubscriberOptions) {
  const arrivals = new Map<string, number[]>();
  const clients: SupabaseClient[] = [];
  const t0 = performance.now();
  const arrived = (title: string | undefined) => {
    if (!title) return;
    const list = arrivals.get(title) ?? [];
    list.push(performance.timeOrigin + performance.now());
    arrivals.set(title, list);
  };
  try {
    await Promise.all(
      Array.from({ length: SUBSCRIBERS }, async () => {
        if (opts.kind === 'websocket') return bareSubscriber(opts, arrived);
        const client = createClient(opts.apiUrl, opts.anonKey, {
          auth: { persistSession: false, autoRefreshToken: false },
          realtime: { transport: WebSocket as never } as never,
          accessToken: async () => opts.token,
        });
        clients.push(client);
        await client.realtime.setAuth();
        await new Promise<void>((resolve, reject) => {
          client
            .channel(opts.topic, { config: { private: true } })
            .on('broadcast', { event: 'INSERT' }, (m) => arrived(m.payload?.record?.title))
            .subscribe((status, err) => {
              if (status === 'SUBSCRIBED') resolve();
              else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
            });
        });
      }),
    );
  } catch (err) {
    process.send!({ error: (err as Error).message });
    return;
  }
  process.send!({ ready: (performance.now() - t0) / 1000 });
  process.on('message', ({ id, titles }: { id: number; titles: string[] }) => {
    process.send!({ id, result: Object.fromEntries(titles.map((t) => [t, arrivals.get(t) ?? []])) });
  });
}

/** A minimal vsn 2.0.0 client: joins, then decodes user-broadcast frames (kind 4) and their JSON. */
function bareSubscriber(opts: SubscriberOptions, arrived: (title: string | undefined) => void): Promise<void> {
  const url = `${opts.apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${opts.anonKey}&vsn=2.0.0`;
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.on('open', () =>
      ws.send(JSON.stringify(['1', '1', `realtime:${opts.topic}`, 'phx_join', { config: { private: true, broadcast: { self: false, ack: false } }, access_token: opts.token }])),
    );
    ws.on('error', reject);
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        const [, ref, , event, payload] = JSON.parse(data.toString());
        if (event === 'phx_reply' && ref === '1') (payload.status === 'ok' ? resolve() : reject(new Error(payload.response?.reason)));
        return;
      }
      const offset = 5 + data[1]! + data[2]! + data[3]!;
      arrived(JSON.parse(data.subarray(offset).toString()).record?.title);
    });
  });
}

if (process.env.REALTIME_BENCH_SUBSCRIBERS && process.send) {
  void runSubscribers(JSON.parse(process.env.REALTIME_BENCH_SUBSCRIBERS) as SubscriberOptions);
}
