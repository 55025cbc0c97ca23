import pg from 'pg';
import type { Logger } from '../log.ts';
import { parseChange, toIso, type Change } from './test-decoding.ts';

/**
 * Committed changes from the database, in commit order and none lost, streamed from a logical
 * replication slot as Realtime reads the WAL: a replication connection runs START_REPLICATION,
 * so the walsender decodes each WAL record once and sends every committed transaction as it
 * is decoded. (Polling `pg_logical_slot_get_changes` instead re-decodes, at every poll, all WAL
 * written since the oldest open transaction began: quadratic while a long transaction runs.)
 * The slot uses `test_decoding` (built into every PostgreSQL, unlike wal2json); its text format
 * is parsed in test-decoding.ts. The slot is
 * persistent and is confirmed only up to transactions already handed to `onTransaction`, so
 * after a lost connection or a database restart the feed resumes where it stopped.
 */

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
}

export interface Feed {
  stop(): Promise<void>;
  /** Whether the slot is being streamed (false while the database is away). */
  connected(): boolean;
}

const APPLICATION_NAME = 'lintel realtime feed';

// Streaming replication protocol (PostgreSQL docs, "Streaming Replication Protocol"), all in
// CopyData messages once START_REPLICATION has switched the connection to CopyBoth mode.
/** XLogData: 'w', Int64 data start, Int64 WAL end, Int64 send time, then the plugin's output. */
const XLOG_DATA = 0x77;
const XLOG_DATA_HEADER = 25;
/** Primary keepalive: 'k', Int64 WAL end, Int64 send time, Byte1 reply requested. */
const PRIMARY_KEEPALIVE = 0x6b;
/** Standby status update: 'r', Int64 written, flushed, applied, Int64 clock, Byte1 reply requested. */
const STANDBY_STATUS_UPDATE = 0x72;
/** Protocol clocks count microseconds from 2000-01-01 00:00 UTC. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

/** test_decoding's options: no xids, commit times (Realtime's `commit_timestamp`), no empty transactions. */
const PLUGIN_OPTIONS = `("include-xids" '0', "include-timestamp" '1', "skip-empty-xacts" '1')`;

/**
 * Received but undelivered decoded output is bounded: past these, the socket is paused, so the
 * walsender waits (TCP back-pressure) instead of this process buffering without limit.
 */
const MAX_QUEUED_TRANSACTIONS = 256;
const MAX_QUEUED_CHANGES = 50_000;
/** Status updates between keepalives, so the slot's confirmed position follows deliveries. */
const STATUS_INTERVAL_MS = 1000;
/**
 * A status update at least this often, even while the socket is paused and the walsender's
 * reply requests go unread: it ends a stream whose receiver is silent for wal_sender_timeout
 * (60 s by default), and a restarted stream would decode a slow transaction again.
 */
const HEARTBEAT_MS = 10_000;

/**
 * What the stream needs of pg's Connection, which has no public API for CopyBoth mode:
 * pg-protocol reports CopyBothResponse ('W') as `replicationStart` and emits every CopyData as
 * `copyData`; the CopyData and CopyDone writers of COPY FROM serve for the replies.
 */
interface WireConnection {
  stream: { pause(): void; resume(): void };
  on(event: 'copyData', listener: (msg: { chunk: Buffer }) => void): unknown;
  off(event: 'copyData', listener: (msg: { chunk: Buffer }) => void): unknown;
  once(event: 'replicationStart', listener: () => void): unknown;
  off(event: 'replicationStart', listener: () => void): unknown;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** A transaction to hand on and the WAL position after it, or a keepalive's WAL end. */
type Item = { tx?: Transaction; end: bigint };

function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

function standbyStatus(lsn: bigint): Buffer {
  const b = Buffer.alloc(34);
  b[0] = STANDBY_STATUS_UPDATE;
  // Written, flushed and applied are the same here: delivered to the service.
  b.writeBigUInt64BE(lsn, 1);
  b.writeBigUInt64BE(lsn, 9);
  b.writeBigUInt64BE(lsn, 17);
  b.writeBigInt64BE(BigInt(Date.now() - PG_EPOCH_MS) * 1000n, 25);
  b[33] = 0;
  return b;
}

export async function startFeed(opts: FeedOptions): Promise<Feed> {
  // The slot name is spelled into replication commands, which take no parameters.
  if (!/^[a-z0-9_]{1,63}$/.test(opts.slot)) throw new Error(`invalid replication slot name ${opts.slot}`);
  let running = true;
  let isConnected = false;
  let repl: pg.Client | undefined;
  /** WAL position up to which everything decoded was handed to onTransaction; 0 = the slot's own. */
  let confirmed = 0n;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  const connectReplication = async (): Promise<pg.Client> => {
    const c = new pg.Client({
      connectionString: opts.dbUrl,
      application_name: APPLICATION_NAME,
      replication: 'database',
      // PostgreSQL 18's test_decoding crashes the server (SIGSEGV, then a crash loop as the feed
      // retries) decoding a large transaction that spilled to disk and was rolled back, e.g. a
      // cancelled rent run. Keeping transactions in memory up to 1 GB avoids the spill path.
      // The walsender decodes, so the setting goes in its startup options.
      options: '-c logical_decoding_work_mem=1GB',
    } as pg.ClientConfig);
    c.on('error', () => undefined);
    try {
      await c.connect();
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    return c;
  };

  // The replication connection comes first: if the server refuses it (pg_hba, no REPLICATION
  // attribute, wal_level), the feed fails before a slot exists to hold back WAL. Then the slot
  // is created, or advanced past what an earlier run left unread: no subscriber of this run
  // could have been waiting for it.
  repl = await connectReplication();
  const admin = new pg.Client({ connectionString: opts.dbUrl, application_name: APPLICATION_NAME });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    const exists = await admin.query('select 1 from pg_replication_slots where slot_name = $1', [opts.slot]);
    if (exists.rowCount) {
      await admin.query('select pg_replication_slot_advance($1, pg_current_wal_lsn())', [opts.slot]);
    } else {
      await admin.query(`select pg_create_logical_replication_slot($1, 'test_decoding')`, [opts.slot]);
    }
  } catch (err) {
    await repl.end().catch(() => undefined);
    throw err;
  } finally {
    await admin.end().catch(() => undefined);
  }
  isConnected = true;

  /**
   * Streams the slot on one connection until the server ends the copy (after stop) or the
   * connection is lost. Transactions are delivered in order by one worker; when the session
   * ends, what was received but not delivered is dropped, and the next session starts from
   * `confirmed`, so it is decoded again rather than lost.
   */
  const streamOnce = async (c: pg.Client, onStart: () => void): Promise<void> => {
    const wire = (c as unknown as { connection: WireConnection }).connection;
    let live = true;
    let inTransaction: Change[] | undefined;
    const queue: Item[] = [];
    let queuedChanges = 0;
    let paused = false;
    let worker: Promise<void> | undefined;
    let reported = -1n;
    let reportedAt = 0;
    let statusTimer: NodeJS.Timeout | undefined;

    const report = () => {
      clearTimeout(statusTimer);
      statusTimer = undefined;
      if (!live) return;
      wire.sendCopyFromChunk(standbyStatus(confirmed));
      reported = confirmed;
      reportedAt = Date.now();
    };
    const reportSoon = () => {
      if (confirmed === reported || statusTimer) return;
      const wait = STATUS_INTERVAL_MS - (Date.now() - reportedAt);
      if (wait <= 0 || queue.length === 0) report();
      else statusTimer = setTimeout(report, wait);
    };

    let draining = false;
    const drain = async () => {
      draining = true;
      try {
        while (queue.length > 0) {
          const item = queue[0]!;
          if (item.tx) {
            try {
              await opts.onTransaction(item.tx);
            } catch (err) {
              opts.logger.error({ err }, 'realtime could not deliver a transaction');
            }
          }
          queue.shift();
          queuedChanges -= item.tx?.changes.length ?? 0;
          if (item.end > confirmed) confirmed = item.end;
          if (!live) break;
          if (paused && queue.length <= MAX_QUEUED_TRANSACTIONS / 2 && queuedChanges <= MAX_QUEUED_CHANGES / 2) {
            paused = false;
            wire.stream.resume();
          }
          reportSoon();
        }
      } finally {
        draining = false;
      }
    };
    const enqueue = (item: Item) => {
      const last = queue.at(-1);
      // Consecutive keepalives only move the same mark (the head may be in the worker's hands).
      if (!item.tx && last && !last.tx && queue.length > 1) last.end = item.end;
      else queue.push(item);
      queuedChanges += item.tx?.changes.length ?? 0;
      if (!paused && (queue.length >= MAX_QUEUED_TRANSACTIONS || queuedChanges >= MAX_QUEUED_CHANGES)) {
        paused = true;
        wire.stream.pause();
      }
      if (!draining) worker = drain();
    };

    // pg hands each CopyData's bytes as a view of its read buffer, reused later: decode at once.
    const onCopyData = ({ chunk }: { chunk: Buffer }) => {
      if (chunk[0] === XLOG_DATA) {
        // The data start of a COMMIT is the end of its commit record: confirming it makes a
        // restarted stream skip the transaction, and nothing before it.
        const at = chunk.readBigUInt64BE(1);
        const line = chunk.toString('utf8', XLOG_DATA_HEADER);
        if (line.startsWith('BEGIN')) {
          inTransaction = [];
        } else if (line.startsWith('COMMIT')) {
          const stamp = /\(at (.+)\)$/.exec(line)?.[1];
          const committedAt = stamp ? toIso(stamp) : new Date().toISOString();
          enqueue({ tx: { changes: inTransaction ?? [], committedAt }, end: at });
          inTransaction = undefined;
        } else if (inTransaction) {
          const change = parseChange(line, opts.wants);
          if (change) inTransaction.push(change);
        }
      } else if (chunk[0] === PRIMARY_KEEPALIVE) {
        // Between transactions the WAL end says everything before it was sent; it becomes
        // confirmable once what came before is delivered. (Inside one it may already lie past
        // the commit being received, so it is ignored there.)
        if (!inTransaction) enqueue({ end: chunk.readBigUInt64BE(1) });
        // The walsender drops a receiver that does not answer within wal_sender_timeout.
        if (chunk[17]) report();
      }
    };

    wire.on('copyData', onCopyData);
    wire.once('replicationStart', onStart);
    const heartbeat = setInterval(report, HEARTBEAT_MS);
    heartbeat.unref();
    try {
      await c.query(`START_REPLICATION SLOT ${opts.slot} LOGICAL ${formatLsn(confirmed)} ${PLUGIN_OPTIONS}`);
    } finally {
      live = false;
      clearInterval(heartbeat);
      clearTimeout(statusTimer);
      wire.off('copyData', onCopyData);
      wire.off('replicationStart', onStart);
      queue.splice(1);
      await worker;
    }
  };

  const endCopy = (c: pg.Client) => (c as unknown as { connection: WireConnection }).connection.endCopyFrom();
  let streaming: pg.Client | undefined;
  const loop = (async () => {
    let backoff = 100;
    let lost = false;
    while (running) {
      try {
        repl ??= await connectReplication();
        if (!running) break;
        const c = repl;
        await streamOnce(c, () => {
          if (!running) return endCopy(c);
          streaming = c;
          isConnected = true;
          backoff = 100;
          if (lost) opts.logger.info('realtime feed reconnected to the database');
          lost = false;
        });
        streaming = undefined;
        // The server ends the copy only when asked to (stop); otherwise stream again.
      } catch (err) {
        streaming = undefined;
        isConnected = false;
        await repl?.end().catch(() => undefined);
        repl = undefined;
        if (!running) break;
        lost = true;
        opts.logger.warn({ err: (err as Error).message }, 'realtime feed lost the database; retrying');
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
      // CopyDone asks the walsender to end the stream; START_REPLICATION then completes and
      // the walsender releases the slot, so it can be dropped on the same connection.
      if (streaming) endCopy(streaming);
      await loop;
      try {
        if (repl) await repl.query(`DROP_REPLICATION_SLOT ${opts.slot}`);
        else await dropSlot(opts.dbUrl, opts.slot);
      } catch {
        // The database may already be gone; an orphan slot is advanced by the next start.
      }
      await repl?.end().catch(() => undefined);
      isConnected = false;
    },
  };
}

/** Drops the slot from a new connection, once a walsender of a lost connection lets go of it. */
async function dropSlot(dbUrl: string, slot: string): Promise<void> {
  const c = new pg.Client({ connectionString: dbUrl, application_name: APPLICATION_NAME });
  c.on('error', () => undefined);
  try {
    await c.connect();
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query('select pg_drop_replication_slot($1)', [slot]);
        return;
      } catch (err) {
        // 55006 object_in_use: "replication slot ... is active for PID ...".
        if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await c.end().catch(() => undefined);
  }
}
