// One request's statements sent as a single extended-protocol pipeline: every Parse / Bind /
// Execute goes out in one network write and ends with ONE Sync, so the whole request costs one
// round trip. Because nothing syncs in between, the first failing statement makes Postgres skip
// everything after it up to the Sync (protocol docs, "Pipelining"): a request whose BEGIN or
// settings fail can never run its main statement outside that transaction or without its role.
//
// It plugs into `pg` as a custom submittable (the same hook pg-cursor uses), so the connection,
// pool, error objects and notices stay pg's.
import { createRequire } from 'node:module';
import type pg from 'pg';

// pg's own parameter encoding (arrays, dates, JSON), so values bind exactly as client.query binds them.
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue: (v: unknown) => unknown };

export interface Step {
  text: string;
  /** A named (prepared) statement; parsed once per connection. */
  name?: string;
  values?: unknown[];
  /** Whether this step's rows are wanted (they come back as objects keyed by column name). */
  rows?: boolean;
}

/** The rows of each step that asked for them (others are empty). */
export type BatchResult = Record<string, string | null>[][];

/** pg's Connection, as far as a submittable uses it. */
interface Connection {
  stream: { cork?: () => void; uncork?: () => void };
  parse(msg: { text: string; name?: string; types?: number[] }): void;
  bind(msg: { statement?: string; portal?: string; values?: unknown[]; valueMapper?: (v: unknown) => unknown }): void;
  describe(msg: { type: 'P' | 'S'; name?: string }): void;
  execute(msg: { portal?: string; rows?: number }): void;
  close(msg: { type: 'P' | 'S'; name?: string }): void;
  sync(): void;
  sendCopyFail(msg: string): void;
}

/**
 * Named statements known to exist on each connection. A batch that fails leaves the names it
 * parsed uncertain (the Parse may or may not have run before the error); those are closed
 * (a no-op when absent) and parsed again on their next use.
 */
const prepared = new WeakMap<object, { ok: Set<string>; uncertain: Set<string> }>();

class Batch {
  readonly promise: Promise<BatchResult>;
  // pg calls back through these; a submittable must not set `name` (pg would track it itself).
  callback?: undefined;
  private resolve!: (r: BatchResult) => void;
  private reject!: (e: Error) => void;
  private results: BatchResult;
  private fields: string[] | undefined;
  private step = 0;
  private error: Error | undefined;
  private parsedNow: string[] = [];
  private conn: object | undefined;

  constructor(private steps: Step[]) {
    this.results = steps.map(() => []);
    this.promise = new Promise<BatchResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: Connection): Error | null {
    this.conn = connection;
    let known = prepared.get(connection);
    if (!known) prepared.set(connection, (known = { ok: new Set(), uncertain: new Set() }));
    connection.stream.cork?.();
    try {
      for (const s of this.steps) {
        const name = s.name ?? '';
        if (!name || !known.ok.has(name)) {
          if (name && known.uncertain.has(name)) connection.close({ type: 'S', name });
          connection.parse({ text: s.text, name });
          if (name) this.parsedNow.push(name);
        }
        connection.bind({ statement: name, values: s.values ?? [], valueMapper: prepareValue });
        if (s.rows) connection.describe({ type: 'P' });
        connection.execute({});
      }
      connection.sync();
    } catch (err) {
      // A value that cannot be serialised: nothing useful was sent, end what was.
      connection.sync();
      this.error = err as Error;
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(msg: { fields: { name: string }[] }): void {
    this.fields = msg.fields.map((f) => f.name);
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    if (!this.steps[this.step]?.rows || !this.fields) return;
    const row: Record<string, string | null> = {};
    for (let i = 0; i < this.fields.length; i++) row[this.fields[i]!] = msg.fields[i] ?? null;
    this.results[this.step]!.push(row);
  }

  handleCommandComplete(): void {
    this.step++;
    this.fields = undefined;
  }

  handleEmptyQuery(): void {
    this.step++;
  }

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: Connection): void {
    connection.sendCopyFail('No source stream defined');
  }

  handleCopyData(): void {}

  /** pg calls this on an ErrorResponse and then drops the batch (the ReadyForQuery is its own). */
  handleError(err: Error): void {
    const known = this.conn ? prepared.get(this.conn) : undefined;
    for (const n of this.parsedNow) known?.uncertain.add(n);
    this.reject(this.error ?? err);
  }

  handleReadyForQuery(): void {
    if (this.error) return this.handleError(this.error);
    const known = this.conn ? prepared.get(this.conn) : undefined;
    for (const n of this.parsedNow) {
      known?.ok.add(n);
      known?.uncertain.delete(n);
    }
    this.resolve(this.results);
  }
}

/** Sends the steps as one pipeline on `client`; rejects with the first statement's error. */
export function runBatch(client: pg.ClientBase, steps: Step[]): Promise<BatchResult> {
  const batch = new Batch(steps);
  client.query(batch as unknown as pg.Submittable);
  return batch.promise;
}
