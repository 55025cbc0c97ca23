import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../local-stack/log.ts';
import { startFeed, type Feed, type Transaction } from '../../local-stack/realtime/feed.ts';
import { db, stack } from '../setup/clients.ts';

// The Realtime feed on its own, against the test stack's database, with a consumer slower than
// the database: what it receives but has not yet handed on must neither pile up without bound
// nor be lost or repeated when the stream is cut. Its slot is its own, beside the service's.

const SLOT = `lintel_feed_test_${process.pid}`;
const logger = createLogger('realtime-feed-test', { level: 'silent' });

function slowFeed() {
  const seen: number[] = [];
  let transactions = 0;
  const started = startFeed({
    dbUrl: stack().DB_URL!,
    slot: SLOT,
    logger,
    wants: (schema, table) => schema === 'rtt' && table === 'feed_probe',
    async onTransaction(tx: Transaction) {
      if (tx.changes.length > 0) transactions++;
      for (const change of tx.changes) seen.push(Number(change.columns[0]!.value));
      await new Promise((r) => setTimeout(r, 2));
    },
  });
  const until = async (n: number, ms = 20_000) => {
    const end = Date.now() + ms;
    while (seen.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return seen;
  };
  return { started, seen, until, transactions: () => transactions };
}

beforeAll(async () => {
  const c = await db();
  try {
    await c.query(`
      create schema if not exists rtt;
      drop table if exists rtt.feed_probe;
      create table rtt.feed_probe (n int primary key);
      alter table rtt.feed_probe enable row level security;
    `);
  } finally {
    await c.end();
  }
});

afterAll(async () => {
  const c = await db();
  try {
    await c.query('drop table if exists rtt.feed_probe');
    await c.query(`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1 and not active`, [SLOT]);
  } finally {
    await c.end();
  }
});

describe('realtime feed', () => {
  it('hands a slow consumer every transaction in commit order, small and large, and drops its slot at stop', async () => {
    const f = slowFeed();
    let feed: Feed | undefined;
    const c = await db();
    try {
      feed = await f.started;
      await c.query('truncate rtt.feed_probe');
      // More single-row commits than the feed buffers (it pauses the stream), then one large.
      for (let n = 0; n < 400; n++) await c.query('insert into rtt.feed_probe values ($1)', [n]);
      await c.query('insert into rtt.feed_probe select g from generate_series(400, 80399) g');
      await c.query('insert into rtt.feed_probe values (80400)');
      const seen = await f.until(80_401);
      expect(seen.length).toBe(80_401);
      expect(seen.every((n, i) => n === i)).toBe(true);
      expect(f.transactions()).toBe(402);
      await feed.stop();
      feed = undefined;
      const left = await c.query('select 1 from pg_replication_slots where slot_name = $1', [SLOT]);
      expect(left.rowCount).toBe(0);
    } finally {
      await feed?.stop();
      await c.end();
    }
  });

  it('resumes a cut stream after the last transaction it handed on, repeating none', async () => {
    const f = slowFeed();
    let feed: Feed | undefined;
    const c = await db();
    try {
      feed = await f.started;
      await c.query('truncate rtt.feed_probe');
      for (let n = 0; n < 300; n++) await c.query('insert into rtt.feed_probe values ($1)', [n]);
      // Cut while the consumer is still behind: some transactions were received, not handed on.
      await f.until(50);
      const cut = await c.query(
        `select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = $1 and active_pid is not null`,
        [SLOT],
      );
      expect(cut.rowCount).toBe(1);
      for (let n = 300; n < 400; n++) await c.query('insert into rtt.feed_probe values ($1)', [n]);
      const seen = await f.until(400);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toEqual([...Array(400).keys()]);
      expect(feed.connected()).toBe(true);
    } finally {
      await feed?.stop();
      await c.end();
    }
  });
});
