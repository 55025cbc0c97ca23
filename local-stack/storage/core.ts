import { headersObject, type ServiceContext } from '../service.ts';
import type { Caller } from './caller.ts';
import type { RequestScope, StorageDb, Tx } from './db.ts';
import { ERRORS } from './errors.ts';
import type { FileStore } from './files.ts';
import type { RouteMatch } from './http.ts';

/** Everything a storage route needs, built once per service instance (no global state). */
export interface Core {
  ctx: ServiceContext;
  db: StorageDb;
  files: FileStore;
  /** `[storage] file_size_limit` of config.toml in bytes: the cap on every bucket's limit. */
  globalFileSizeLimit: number;
  /** `[storage.image_transformation] enabled` (on unless turned off). */
  imageTransformation: boolean;
}

/** A row of storage.objects as the routes read it. */
export interface ObjectRow {
  id: string;
  bucket_id: string;
  name: string;
  owner: string | null;
  owner_id: string | null;
  version: string | null;
  metadata: Record<string, unknown> | null;
  user_metadata: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  last_accessed_at: Date;
}

export interface BucketRow {
  id: string;
  name: string;
  public: boolean;
  file_size_limit: number | string | null;
  allowed_mime_types: string[] | null;
}

/** Characters supabase/storage accepts in a key (limits.ts VALID_OBJECT_KEY): S3-safe ones. */
const VALID_OBJECT_KEY = /^[A-Za-z0-9_/!.*'() &$=@;:+,?-]*$/;
/** Bucket names: the same without `/`, at most 100 characters (limits.ts isValidBucketName). */
const VALID_BUCKET_NAME = /^[A-Za-z0-9_!.*'() &$=@;:+,?-]*$/;

/** mustBeValidKey, plus the rule that keeps keys inside the bucket's folder on disk. */
export function assertValidKey(key: string | undefined): asserts key is string {
  if (!key || !VALID_OBJECT_KEY.test(key)) throw ERRORS.invalidKey(key ?? '');
  if (key.split('/').some((s) => s === '..' || s === '.' || s === '')) throw ERRORS.invalidKey(key);
}

export function assertValidBucketName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !name || name.length > 100 || !VALID_BUCKET_NAME.test(name) || name === '.' || name === '..') {
    throw ERRORS.invalidBucketName();
  }
}

/** `scope` for the transaction settings of one request. */
export function scopeOf(m: Pick<RouteMatch, 'req' | 'url' | 'rawHeaders'>, operation: string): RequestScope {
  const headers = headersObject(m.rawHeaders);
  delete headers.authorization;
  delete headers.apikey;
  delete headers.cookie;
  return { method: m.req.method, path: m.url.pathname.replace(/^\/storage\/v1/, ''), headers, operation };
}

export async function findBucket(core: Core, id: string): Promise<BucketRow | undefined> {
  return core.db.asSuperUser(async (tx) => {
    const { rows } = await tx.query<BucketRow>(
      'select id, name, public, file_size_limit, allowed_mime_types from storage.buckets where id = $1',
      [id],
    );
    return rows[0];
  });
}

export const OBJECT_COLUMNS =
  'id, bucket_id, name, owner, owner_id, version, metadata, user_metadata, created_at, updated_at, last_accessed_at';

/** One object by key inside a transaction (as whoever the transaction runs as). */
export async function findObject(tx: Tx, bucket: string, key: string, forUpdate = false): Promise<ObjectRow | undefined> {
  const { rows } = await tx.query<ObjectRow>(
    `select ${OBJECT_COLUMNS} from storage.objects where bucket_id = $1 and name = $2${forUpdate ? ' for update' : ''}`,
    [bucket, key],
  );
  return rows[0];
}

/** One object as the caller sees it under RLS, or NoSuchKey. */
export async function findObjectAs(core: Core, caller: Caller, scope: RequestScope, bucket: string, key: string): Promise<ObjectRow> {
  const obj = await core.db.asCaller(caller, scope, (tx) => findObject(tx, bucket, key));
  if (!obj) throw ERRORS.noSuchKey();
  return obj;
}

export async function findObjectAsSuperUser(core: Core, bucket: string, key: string): Promise<ObjectRow> {
  const obj = await core.db.asSuperUser((tx) => findObject(tx, bucket, key));
  if (!obj) throw ERRORS.noSuchKey();
  return obj;
}

/** Serialises writers of one key across concurrent requests (upstream's waitObjectLock). */
export async function lockObject(tx: Tx, bucket: string, key: string): Promise<void> {
  await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`storage:${bucket}/${key}`]);
}

/** Owner columns: `owner` only takes a uuid, `owner_id` any subject (upstream normalises the same way). */
export function ownerColumns(sub: string | undefined): { owner: string | null; owner_id: string | null } {
  const isUuid = !!sub && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sub);
  return { owner: isUuid ? sub! : null, owner_id: sub ?? null };
}
