import type { Caller } from './caller.ts';
import type { Core } from './core.ts';
import type { RequestScope } from './db.ts';
import { ERRORS } from './errors.ts';

const SORT_COLUMNS = new Set(['name', 'updated_at', 'created_at', 'last_accessed_at']);

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export interface ListOptions {
  prefix?: string;
  limit?: number;
  offset?: number;
  search?: string;
  sortBy?: { column?: string; order?: string };
}

/**
 * `POST /object/list/<bucket>` (storage.search, migration 0063): one level below `prefix` (a
 * folder, so a missing trailing `/` is added), files with their row and sub-folders as entries
 * with `id: null`; `search` narrows names case-insensitively by their start; names are relative
 * to the prefix. Sorting by name mixes folders and files; by a timestamp, folders come first.
 * Runs as the caller, so RLS decides which rows (and therefore folders) exist.
 */
export async function listObjects(core: Core, caller: Caller, scope: RequestScope, bucketId: string, o: ListOptions) {
  let prefix = o.prefix ?? '';
  if (prefix.length > 0 && !prefix.endsWith('/')) prefix += '/';
  const limit = Math.min(Math.max(Number(o.limit ?? 100) || 100, 1), 1500);
  const offset = Math.max(Number(o.offset ?? 0) || 0, 0);
  const column = SORT_COLUMNS.has(o.sortBy?.column ?? 'name') ? (o.sortBy?.column ?? 'name') : 'name';
  const order = (o.sortBy?.order ?? 'asc').toLowerCase() === 'desc' ? 'desc' : 'asc';
  const pattern = `${escapeLike(prefix)}${escapeLike(o.search ?? '')}%`;
  const orderBy =
    column === 'name'
      ? `name collate "C" ${order}`
      : `is_folder desc, ${column} ${order} nulls last, name collate "C" asc`;
  return core.db.asCaller(caller, scope, async (tx) => {
    const { rows } = await tx.query(
      `with matched as (
         select o.*, substr(o.name, $3::int + 1) as rest
           from storage.objects o
          where o.bucket_id = $1 and o.name ilike $2
       ), entries as (
         select split_part(rest, '/', 1) as name, null::uuid as id, null::timestamptz as updated_at,
                null::timestamptz as created_at, null::timestamptz as last_accessed_at, null::jsonb as metadata,
                true as is_folder
           from matched where strpos(rest, '/') > 0
          group by 1
         union all
         select rest, id, updated_at, created_at, last_accessed_at, metadata, false
           from matched where strpos(rest, '/') = 0
       )
       select name, id, updated_at, created_at, last_accessed_at, metadata from entries
        order by ${orderBy} limit $4 offset $5`,
      [bucketId, pattern, prefix.length, limit, offset],
    );
    return rows;
  });
}

export interface ListV2Options {
  prefix?: string;
  limit?: number;
  cursor?: string;
  with_delimiter?: boolean;
  sortBy?: { column?: string; order?: string };
}

interface Cursor {
  /** The last entry's name. */
  n: string;
  /** Its sort column value (ISO) when sorting by a timestamp. */
  a?: string;
}

/**
 * `POST /object/list-v2/<bucket>` (object.ts listObjectsV2): keys under `prefix` (a plain string
 * prefix), collapsed into `folders` at the next `/` when `with_delimiter`, sorted by name or a
 * timestamp, paged by an opaque `nextCursor`. As the caller, under RLS.
 */
export async function listObjectsV2(core: Core, caller: Caller, scope: RequestScope, bucketId: string, o: ListV2Options) {
  const limit = Math.min(Math.max(Number(o.limit ?? 1000) || 1000, 1), 1000);
  const prefix = o.prefix ?? '';
  const column = o.sortBy?.column === 'created_at' || o.sortBy?.column === 'updated_at' ? o.sortBy.column : 'name';
  const desc = (o.sortBy?.order ?? 'asc').toLowerCase() === 'desc';
  let cursor: Cursor | undefined;
  if (o.cursor) {
    try {
      cursor = JSON.parse(Buffer.from(o.cursor, 'base64url').toString('utf8')) as Cursor;
      if (typeof cursor.n !== 'string') throw new Error();
    } catch {
      throw ERRORS.invalidParameter('continuation token');
    }
  }
  const rows = await core.db.asCaller(caller, scope, async (tx) => {
    const { rows } = await tx.query<{
      id: string;
      name: string;
      metadata: unknown;
      updated_at: Date;
      created_at: Date;
      last_accessed_at: Date;
    }>(
      `select id, name, metadata, updated_at, created_at, last_accessed_at
         from storage.objects where bucket_id = $1 and name like $2
        order by name collate "C"`,
      [bucketId, `${escapeLike(prefix)}%`],
    );
    return rows;
  });

  type Entry = { folder: boolean; name: string; sortValue: string; row?: (typeof rows)[number] };
  const entries: Entry[] = [];
  const seenFolders = new Set<string>();
  for (const row of rows) {
    const rest = row.name.slice(prefix.length);
    const slash = o.with_delimiter ? rest.indexOf('/') : -1;
    if (slash >= 0) {
      const folder = prefix + rest.slice(0, slash + 1);
      if (seenFolders.has(folder)) continue;
      seenFolders.add(folder);
      entries.push({ folder: true, name: folder, sortValue: '' });
      continue;
    }
    const value = column === 'name' ? '' : new Date(row[column]).toISOString();
    entries.push({ folder: false, name: row.name, sortValue: value, row });
  }
  const compare = (a: { name: string; sortValue: string }, b: { name: string; sortValue: string }) => {
    const byValue = a.sortValue < b.sortValue ? -1 : a.sortValue > b.sortValue ? 1 : 0;
    const byName = a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    const c = byValue || byName;
    return desc ? -c : c;
  };
  entries.sort(compare);
  const after = cursor ? entries.filter((e) => compare(e, { name: cursor!.n, sortValue: cursor!.a ?? '' }) > 0) : entries;
  const page = after.slice(0, limit);
  const hasNext = after.length > limit;
  const last = page[page.length - 1];
  const nextCursor =
    hasNext && last ? Buffer.from(JSON.stringify({ n: last.name, a: last.sortValue || undefined })).toString('base64url') : undefined;
  return {
    hasNext,
    nextCursor,
    nextCursorKey: hasNext ? last?.name : undefined,
    folders: page.filter((e) => e.folder).map((e) => ({ key: e.name.replace(/\/$/, ''), name: e.name })),
    objects: page
      .filter((e) => !e.folder)
      .map((e) => ({ ...e.row!, key: e.name })),
  };
}
