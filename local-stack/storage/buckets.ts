import type { Caller } from './caller.ts';
import { assertValidBucketName, ownerColumns, type Core } from './core.ts';
import type { RequestScope } from './db.ts';
import { ERRORS } from './errors.ts';
import { parseApiFileSize } from './upload.ts';

/** The columns storage returns for a bucket (snapshot of storage-js's "Get bucket by id"). */
const BUCKET_COLUMNS = 'id, name, owner, public, file_size_limit, allowed_mime_types, created_at, updated_at';
const BUCKET_SORT = new Set(['id', 'name', 'created_at', 'updated_at']);

function normaliseBucket(row: Record<string, unknown>) {
  return { ...row, file_size_limit: row.file_size_limit === null ? null : Number(row.file_size_limit) };
}

export interface BucketListOptions {
  limit?: string | null;
  offset?: string | null;
  search?: string | null;
  sortColumn?: string | null;
  sortOrder?: string | null;
}

/** `GET /bucket`: the buckets the caller may see (RLS on storage.buckets). */
export async function listBuckets(core: Core, caller: Caller, scope: RequestScope, o: BucketListOptions) {
  const column = BUCKET_SORT.has(o.sortColumn ?? '') ? o.sortColumn! : 'name';
  const order = (o.sortOrder ?? 'asc').toLowerCase() === 'desc' ? 'desc' : 'asc';
  const limit = o.limit ? Math.max(Number(o.limit) || 0, 0) : null;
  const offset = o.offset ? Math.max(Number(o.offset) || 0, 0) : 0;
  return core.db.asCaller(caller, scope, async (tx) => {
    const { rows } = await tx.query(
      `select ${BUCKET_COLUMNS} from storage.buckets
        where type = 'STANDARD' and ($1::text is null or name ilike '%' || $1 || '%')
        order by ${column} ${order} limit $2 offset $3`,
      [o.search || null, limit, offset],
    );
    return rows.map(normaliseBucket);
  });
}

export async function getBucket(core: Core, caller: Caller, scope: RequestScope, id: string) {
  const row = await core.db.asCaller(caller, scope, async (tx) => {
    const { rows } = await tx.query(`select ${BUCKET_COLUMNS} from storage.buckets where id = $1`, [id]);
    return rows[0];
  });
  if (!row) throw ERRORS.noSuchBucket();
  return normaliseBucket(row);
}

export interface BucketInput {
  id?: unknown;
  name?: unknown;
  public?: unknown;
  file_size_limit?: unknown;
  allowed_mime_types?: unknown;
}

function mimeTypes(v: unknown): string[] | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (!Array.isArray(v) || v.some((m) => typeof m !== 'string' || !/^[\w.+-]+\/[\w.+*-]+$/.test(m.trim()))) {
    throw ERRORS.invalidRequest('allowed_mime_types must be an array of MIME types');
  }
  return v as string[];
}

/** `POST /bucket`: as the caller, so only roles a policy lets insert may create buckets. */
export async function createBucket(core: Core, caller: Caller, scope: RequestScope, input: BucketInput) {
  const id = input.id ?? input.name;
  assertValidBucketName(id);
  const limit = parseApiFileSize(input.file_size_limit ?? undefined) ?? null;
  const allowed = mimeTypes(input.allowed_mime_types) ?? null;
  const { owner, owner_id } = ownerColumns(caller.sub);
  await core.db.asCaller(caller, scope, async (tx) => {
    try {
      await tx.query(
        `insert into storage.buckets (id, name, owner, owner_id, public, file_size_limit, allowed_mime_types)
         values ($1, $1, $2, $3, $4, $5, $6)`,
        [id, owner, owner_id, input.public === true, limit, allowed],
      );
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw ERRORS.bucketAlreadyExists();
      throw err;
    }
  });
  return { name: id };
}

/** `PUT /bucket/<id>`: changes only the fields given. */
export async function updateBucket(core: Core, caller: Caller, scope: RequestScope, id: string, input: BucketInput) {
  const limit = parseApiFileSize(input.file_size_limit);
  const allowed = mimeTypes(input.allowed_mime_types);
  const updated = await core.db.asCaller(caller, scope, async (tx) => {
    const { rowCount } = await tx.query(
      `update storage.buckets set
         public = case when $2::boolean is null then public else $2 end,
         file_size_limit = case when $3 then $4::bigint else file_size_limit end,
         allowed_mime_types = case when $5 then $6::text[] else allowed_mime_types end,
         updated_at = now()
       where id = $1`,
      [
        id,
        typeof input.public === 'boolean' ? input.public : null,
        limit !== undefined,
        limit ?? null,
        allowed !== undefined,
        allowed ?? null,
      ],
    );
    return rowCount;
  });
  if (!updated) throw ERRORS.noSuchBucket();
  return { message: 'Successfully updated' };
}

/**
 * `POST /bucket/<id>/empty`: service role only (the route's enforceJwtRoles), then every object
 * goes regardless of object policies, as upstream's queued admin delete does; here at once.
 */
export async function emptyBucket(core: Core, caller: Caller, scope: RequestScope, id: string) {
  if (caller.role !== 'service_role') throw ERRORS.accessDenied('Access denied: Invalid role', 403);
  await getBucket(core, caller, scope, id);
  const rows = await core.db.asSuperUser(async (tx) => {
    const { rows } = await tx.query<{ name: string; version: string | null }>(
      'delete from storage.objects where bucket_id = $1 returning name, version',
      [id],
    );
    return rows;
  });
  for (const row of rows) await core.files.remove(id, row.name, row.version);
  return { message: 'Empty bucket has been queued. Completion may take up to an hour.' };
}

/**
 * `DELETE /bucket/<id>` (storage.ts deleteBucket): the bucket must exist and hold no object at
 * all (checked past RLS), then the row is deleted as the caller, so bucket policies decide.
 */
export async function deleteBucket(core: Core, caller: Caller, scope: RequestScope, id: string) {
  await core.db.asSuperUser(async (tx) => {
    const { rows } = await tx.query('select 1 from storage.buckets where id = $1', [id]);
    if (!rows.length) throw ERRORS.noSuchBucket();
    const objects = await tx.query('select 1 from storage.objects where bucket_id = $1 limit 1', [id]);
    if (objects.rows.length) throw ERRORS.bucketNotEmpty();
  });
  const deleted = await core.db.asCaller(caller, scope, async (tx) => {
    try {
      const { rowCount } = await tx.query('delete from storage.buckets where id = $1', [id]);
      return rowCount;
    } catch (err) {
      if ((err as { code?: string }).code === '23503') throw ERRORS.bucketNotEmpty();
      throw err;
    }
  });
  if (!deleted) throw ERRORS.noSuchBucket();
  await core.files.removeBucket(id);
  return { message: 'Successfully deleted' };
}
