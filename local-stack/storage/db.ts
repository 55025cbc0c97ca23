import pg from 'pg';
import { setLocalSettings } from '../pg-settings.ts';
import type { Caller } from './caller.ts';
import { fromDatabaseError, StorageError } from './errors.ts';

export type Tx = pg.PoolClient;

/** Thrown inside a permission test to roll back what succeeded (upstream's testPermission). */
class PermissionTestRollback extends Error {}

/**
 * Transactions on storage's tables. `asCaller` runs SQL the way supabase/storage does for a
 * request (src/internal/database/postgres/scope.ts): one transaction that first sets `role`,
 * `request.jwt.claims`, `request.jwt.claim.sub/role`, `request.headers`, `request.method`,
 * `request.path` and `storage.operation` locally, so RLS on storage.objects / storage.buckets
 * decides, then the statements. `asSuperUser` is the service's own connection (RLS bypassed),
 * used where upstream calls `asSuperUser()`. Both set `storage.allow_delete_query`, as the API
 * is the one path allowed to delete rows (migration 0055).
 */
export class StorageDb {
  readonly pool: pg.Pool;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 8 });
    // An idle client that loses its connection must not crash the stack.
    this.pool.on('error', () => undefined);
  }

  async asCaller<T>(caller: Caller, scope: RequestScope, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.tx(async (tx) => {
      await setLocalSettings(tx, [
        ['role', caller.role],
        ['request.jwt.claim.role', caller.role],
        ['request.jwt', caller.jwt],
        ['request.jwt.claim.sub', caller.sub ?? ''],
        ['request.jwt.claims', JSON.stringify({ ...caller.claims, role: caller.role })],
        ['request.headers', JSON.stringify(scope.headers)],
        ['request.method', scope.method],
        ['request.path', scope.path],
        ['storage.operation', scope.operation],
        ['storage.allow_delete_query', 'true'],
      ]);
      return fn(tx);
    });
  }

  async asSuperUser<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.tx(async (tx) => {
      await tx.query(`select set_config('storage.allow_delete_query', 'true', true)`);
      return fn(tx);
    });
  }

  /**
   * Runs `fn` as the caller and rolls back whatever it did: "may this caller do that?" without
   * keeping the effect (upstream's `db.testPermission`, used before receiving an upload).
   */
  async testPermission(caller: Caller, scope: RequestScope, fn: (tx: Tx) => Promise<unknown>): Promise<void> {
    try {
      await this.asCaller(caller, scope, async (tx) => {
        await fn(tx);
        throw new PermissionTestRollback();
      });
    } catch (err) {
      if (err instanceof PermissionTestRollback) return;
      throw err;
    }
  }

  private async tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => {
        broken = true;
      });
      throw toStorageError(err);
    } finally {
      client.release(broken);
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/** What upstream copies from the request into the transaction's settings. */
export interface RequestScope {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** e.g. `storage.object.upload` (src/http/routes/operations.ts). */
  operation: string;
}

function toStorageError(err: unknown): unknown {
  if (err instanceof StorageError || err instanceof PermissionTestRollback) return err;
  return fromDatabaseError(err) ?? err;
}

