import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { signHs256 } from '../jwt.ts';
import { tokenFailureMessage, type Caller } from './caller.ts';
import {
  assertValidKey,
  findBucket,
  findObject,
  findObjectAs,
  lockObject,
  OBJECT_COLUMNS,
  ownerColumns,
  type Core,
  type ObjectRow,
} from './core.ts';
import type { RequestScope, Tx } from './db.ts';
import { ERRORS, StorageError } from './errors.ts';
import type { StagedFile } from './files.ts';
import { json } from './http.ts';
import { assertMimeAllowed, readUpload } from './upload.ts';

/** Objects named like this are folder markers and may hold no bytes (limits.ts isEmptyFolder). */
const EMPTY_FOLDER_PLACEHOLDER = '.emptyFolderPlaceholder';

/** Signed upload URLs live two hours (config UPLOAD_SIGNED_URL_EXPIRATION_TIME default). */
export const SIGNED_UPLOAD_EXPIRES_IN = 7200;

/** Token scopes of signed URLs (internal/auth: SIGNED_URL_SCOPE_DOWNLOAD / _UPLOAD). */
export const SCOPE_DOWNLOAD = 'download';
export const SCOPE_UPLOAD = 'upload';

interface UploadOptions {
  upsert: boolean;
  /** Signed upload URLs carry their own authorisation: no RLS test. */
  skipRls?: boolean;
  owner?: string;
}

/**
 * An upload as supabase/storage does it (object.ts uploadFromRequest + uploader.ts): bucket
 * exists, MIME type and declared size allowed, then an RLS test as the caller that is rolled
 * back (INSERT, or INSERT … ON CONFLICT DO UPDATE … RETURNING for upsert, so upsert needs
 * insert + update + select), then the bytes, then the row. The bytes stream into a temp file;
 * the row is written and the file renamed into place in one transaction, and a failure at any
 * step removes the file, so neither a row nor a file outlives a failed or cut-off upload.
 */
export async function uploadObject(
  core: Core,
  req: Request,
  caller: Caller,
  scope: RequestScope,
  bucketId: string,
  key: string,
  opts: UploadOptions,
): Promise<{ id: string; key: string }> {
  assertValidKey(key);
  const bucket = await findBucket(core, bucketId);
  if (!bucket) throw ERRORS.noSuchBucket();
  const file = await readUpload(req);
  const isPlaceholder = key.split('/').pop() === EMPTY_FOLDER_PLACEHOLDER;
  const bucketLimit = bucket.file_size_limit === null ? Infinity : Number(bucket.file_size_limit);
  const maxBytes = isPlaceholder ? 0 : Math.min(bucketLimit, core.globalFileSizeLimit);
  try {
    if (!isPlaceholder) assertMimeAllowed(file.mimeType, bucket.allowed_mime_types);
    if (file.declaredLength !== undefined && file.declaredLength > maxBytes) throw ERRORS.entityTooLarge();
  } catch (err) {
    file.body.resume();
    throw err;
  }
  const owner = opts.owner ?? caller.sub;
  const metadataForPolicy = { mimetype: file.mimeType, contentLength: file.declaredLength };
  if (!opts.skipRls) {
    try {
      await testWrite(core, caller, scope, bucketId, key, opts.upsert, owner, metadataForPolicy, file.userMetadata ?? {});
    } catch (err) {
      file.body.resume();
      throw err;
    }
  }

  const version = randomUUID();
  let staged: StagedFile | undefined;
  let placed = false;
  try {
    staged = await core.files.stage(file.body, maxBytes);
    const metadata = {
      eTag: staged.eTag,
      size: staged.size,
      mimetype: file.mimeType,
      cacheControl: file.cacheControl,
      lastModified: new Date().toUTCString(),
      contentLength: staged.size,
      httpStatusCode: 200,
    };
    const stagedFile = staged;
    const result = await core.db.asSuperUser(async (tx) => {
      await lockObject(tx, bucketId, key);
      const current = await findObject(tx, bucketId, key, true);
      if (current && !opts.upsert) throw ERRORS.keyAlreadyExists();
      const row = await writeRow(tx, bucketId, key, version, owner, metadata, file.userMetadata ?? {});
      await core.files.place(stagedFile, bucketId, key, version);
      placed = true;
      return { id: row.id, previous: current?.version };
    });
    if (result.previous && result.previous !== version) await core.files.remove(bucketId, key, result.previous);
    return { id: result.id, key: `${bucketId}/${key}` };
  } catch (err) {
    await core.files.discard(staged);
    if (placed) await core.files.remove(bucketId, key, version);
    throw abortedUpload(err);
  }
}

/** A request stream that ends early is the client's doing, not a server fault. */
function abortedUpload(err: unknown): unknown {
  if (err instanceof StorageError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || (err as Error)?.name === 'AbortError') {
    return ERRORS.noContentProvided('Request stream closed before upload could complete');
  }
  return err;
}

async function writeRow(
  tx: Tx,
  bucketId: string,
  key: string,
  version: string,
  sub: string | undefined,
  metadata: Record<string, unknown>,
  userMetadata: Record<string, unknown>,
): Promise<ObjectRow> {
  const { owner, owner_id } = ownerColumns(sub);
  const { rows } = await tx.query<ObjectRow>(
    `insert into storage.objects (bucket_id, name, owner, owner_id, version, metadata, user_metadata)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (name, bucket_id) do update
       set owner = excluded.owner, owner_id = excluded.owner_id, version = excluded.version,
           metadata = excluded.metadata, user_metadata = excluded.user_metadata
     returning ${OBJECT_COLUMNS}`,
    [bucketId, key, owner, owner_id, version, metadata, userMetadata],
  );
  return rows[0]!;
}

/**
 * Uploader.canUpload: may the caller create this object (INSERT), or upsert it (INSERT … ON
 * CONFLICT DO UPDATE … RETURNING *)? Run and rolled back, so policies see the real row.
 */
export async function testWrite(
  core: Core,
  caller: Caller,
  scope: RequestScope,
  bucketId: string,
  key: string,
  upsert: boolean,
  sub: string | undefined,
  metadata: Record<string, unknown>,
  userMetadata: Record<string, unknown>,
): Promise<void> {
  const { owner, owner_id } = ownerColumns(sub);
  const values = [bucketId, key, owner, owner_id, '1', metadata, userMetadata];
  await core.db.testPermission(caller, scope, async (tx) => {
    if (!upsert) {
      try {
        await tx.query(
          `insert into storage.objects (bucket_id, name, owner, owner_id, version, metadata, user_metadata)
           values ($1, $2, $3, $4, $5, $6, $7)`,
          values,
        );
      } catch (err) {
        // The upload route answers a taken key as KeyAlreadyExists (pg.ts createObject).
        if ((err as { code?: string }).code === '23505') throw ERRORS.keyAlreadyExists();
        throw err;
      }
      return;
    }
    await tx.query(
      `insert into storage.objects (bucket_id, name, owner, owner_id, version, metadata, user_metadata)
       values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (name, bucket_id) do update
         set owner = excluded.owner, owner_id = excluded.owner_id, version = excluded.version,
             metadata = excluded.metadata, user_metadata = excluded.user_metadata
       returning *`,
      values,
    );
  });
}

/** Response headers for an object's bytes (renderer/renderer.ts setHeaders). */
function assetHeaders(obj: ObjectRow, opts: { download?: string | null; expires?: string }): Headers {
  const md = obj.metadata ?? {};
  const headers = new Headers();
  let mime = typeof md.mimetype === 'string' ? md.mimetype : 'application/octet-stream';
  // Storage never serves HTML as HTML from a bucket (normalizeContentType).
  if (mime.includes('text/html')) mime = 'text/plain';
  headers.set('content-type', mime);
  headers.set('accept-ranges', 'bytes');
  headers.set('x-robots-tag', 'none');
  if (typeof md.eTag === 'string') headers.set('etag', md.eTag);
  const lastModified = md.lastModified ? new Date(md.lastModified as string) : obj.updated_at;
  if (lastModified && !Number.isNaN(new Date(lastModified).getTime())) {
    headers.set('last-modified', new Date(lastModified).toUTCString());
  }
  if (opts.expires) headers.set('expires', opts.expires);
  else if (typeof md.cacheControl === 'string' && md.cacheControl) headers.set('cache-control', md.cacheControl);
  if (opts.download !== undefined && opts.download !== null) {
    if (opts.download === '') headers.set('content-disposition', 'attachment;');
    else {
      const name = encodeURIComponent(opts.download);
      headers.set('content-disposition', `attachment; filename=${name}; filename*=UTF-8''${name}`);
    }
  }
  return headers;
}

/**
 * Serves an object's bytes with storage's headers: ETag / If-None-Match (304), single byte
 * ranges (206), `download` as Content-Disposition, and for signed URLs `Expires` instead of
 * Cache-Control. Missing bytes answer as the renderer does (400 with statusCode "404").
 */
export async function serveObject(
  core: Core,
  req: Request,
  obj: ObjectRow,
  opts: { download?: string | null; expires?: string; head?: boolean } = {},
): Promise<Response> {
  const size = await core.files.size(obj.bucket_id, obj.name, obj.version ?? '');
  if (size === undefined) {
    return json(ERRORS.assetNotFound().body(), 400, { 'cache-control': 'no-store' });
  }
  const headers = assetHeaders(obj, opts);
  const etag = headers.get('etag');
  if (etag && req.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  let range: { start: number; end: number } | undefined;
  const rangeHeader = req.headers.get('range');
  if (rangeHeader) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(rangeHeader.trim());
    if (!m || (m[1] === '' && m[2] === '')) throw ERRORS.invalidRange();
    const start = m[1] === '' ? Math.max(size - Number(m[2]), 0) : Number(m[1]);
    const end = m[1] === '' || m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (start > end || start >= size) {
      return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } });
    }
    range = { start, end };
    headers.set('content-range', `bytes ${start}-${end}/${size}`);
  }
  const length = range ? range.end - range.start + 1 : size;
  headers.set('content-length', String(length));
  const status = range ? 206 : 200;
  if (opts.head || req.method === 'HEAD') return new Response(null, { status, headers });
  const stream = core.files.read(obj.bucket_id, obj.name, obj.version ?? '', range);
  return new Response(Readable.toWeb(stream) as unknown as ReadableStream, { status, headers });
}

/** `GET /object/info/...`: the object's description (renderer/info.ts InfoRenderer). */
export function infoBody(obj: ObjectRow) {
  const md = obj.metadata ?? {};
  return {
    id: obj.id,
    name: obj.name,
    version: obj.version,
    bucket_id: obj.bucket_id,
    size: typeof md.size === 'number' ? md.size : null,
    content_type: typeof md.mimetype === 'string' ? md.mimetype : null,
    cache_control: typeof md.cacheControl === 'string' ? md.cacheControl : null,
    etag: typeof md.eTag === 'string' ? md.eTag : null,
    metadata: obj.user_metadata,
    last_modified: obj.updated_at,
    created_at: obj.created_at,
  };
}

/**
 * Batch remove (`DELETE /object/<bucket>` with `{prefixes}`): a DELETE … RETURNING as the
 * caller, so RLS picks what goes; the bytes of deleted rows go after the commit.
 */
export async function removeObjects(core: Core, caller: Caller, scope: RequestScope, bucketId: string, names: string[]) {
  const rows = await core.db.asCaller(caller, scope, async (tx) => {
    const { rows } = await tx.query<ObjectRow>(
      `delete from storage.objects where bucket_id = $1 and name = any($2::text[]) returning ${OBJECT_COLUMNS}`,
      [bucketId, names],
    );
    return rows;
  });
  for (const row of rows) await core.files.remove(row.bucket_id, row.name, row.version);
  return rows;
}

/**
 * Move (object.ts moveObject): the caller must see the source and be allowed to UPDATE it into
 * its new bucket and name (tested and rolled back), then the bytes are copied under a new
 * version and the row updated; the old version's bytes go after the commit.
 */
export async function moveObject(
  core: Core,
  caller: Caller,
  scope: RequestScope,
  body: { bucketId: string; sourceKey: string; destinationKey: string; destinationBucket?: string },
): Promise<void> {
  const { bucketId, sourceKey } = body;
  const destBucket = body.destinationBucket || bucketId;
  const destKey = body.destinationKey;
  assertValidKey(destKey);
  const newVersion = randomUUID();
  const { owner, owner_id } = ownerColumns(caller.sub);
  await core.db.testPermission(caller, scope, async (tx) => {
    if (!(await findObject(tx, bucketId, sourceKey))) throw ERRORS.noSuchKey();
    const { rowCount } = await tx.query(
      `update storage.objects set name = $3, bucket_id = $4, version = $5, owner = $6, owner_id = $7
        where bucket_id = $1 and name = $2 returning *`,
      [bucketId, sourceKey, destKey, destBucket, newVersion, owner, owner_id],
    );
    if (!rowCount) throw ERRORS.noSuchKey();
  });
  if (bucketId === destBucket && sourceKey === destKey) return;
  const source = await core.db.asSuperUser((tx) => findObject(tx, bucketId, sourceKey));
  if (!source) throw ERRORS.noSuchKey();
  const dest = { bucket: destBucket, key: destKey, version: newVersion };
  await core.files.copy({ bucket: bucketId, key: sourceKey, version: source.version ?? '' }, dest);
  try {
    await core.db.asSuperUser(async (tx) => {
      await lockObject(tx, destBucket, destKey);
      const { rowCount } = await tx.query(
        `update storage.objects set name = $3, bucket_id = $4, version = $5, owner = $6, owner_id = $7
          where bucket_id = $1 and name = $2 and version is not distinct from $8`,
        [bucketId, sourceKey, destKey, destBucket, newVersion, owner, owner_id, source.version],
      );
      if (!rowCount) throw ERRORS.noSuchKey();
    });
  } catch (err) {
    await core.files.remove(destBucket, destKey, newVersion);
    throw err;
  }
  await core.files.remove(bucketId, sourceKey, source.version);
}

/**
 * Copy (object.ts copyObject): the caller must see the source and may write the destination
 * (INSERT, or upsert with `x-upsert: true`); the destination gets its own bytes and version.
 */
export async function copyObject(
  core: Core,
  caller: Caller,
  scope: RequestScope,
  body: {
    bucketId: string;
    sourceKey: string;
    destinationKey: string;
    destinationBucket?: string;
    copyMetadata?: boolean;
    metadata?: { cacheControl?: string; mimetype?: string };
  },
  upsert: boolean,
  userMetadataHeader: Record<string, unknown> | undefined,
): Promise<ObjectRow & { Key: string }> {
  const destBucket = body.destinationBucket || body.bucketId;
  const destKey = body.destinationKey;
  assertValidKey(destKey);
  const source = await findObjectAs(core, caller, scope, body.bucketId, body.sourceKey);
  const copyMetadata = body.copyMetadata ?? true;
  const metadata: Record<string, unknown> = { ...(source.metadata ?? {}) };
  if (!copyMetadata) {
    if (body.metadata?.cacheControl !== undefined) metadata.cacheControl = body.metadata.cacheControl;
    if (body.metadata?.mimetype !== undefined) metadata.mimetype = body.metadata.mimetype;
  }
  const userMetadata = copyMetadata ? (source.user_metadata ?? {}) : (userMetadataHeader ?? {});
  await testWrite(core, caller, scope, destBucket, destKey, upsert, caller.sub, metadata, userMetadata);
  const version = randomUUID();
  await core.files.copy(
    { bucket: body.bucketId, key: body.sourceKey, version: source.version ?? '' },
    { bucket: destBucket, key: destKey, version },
  );
  try {
    const { row, previous } = await core.db.asSuperUser(async (tx) => {
      await lockObject(tx, destBucket, destKey);
      const current = await findObject(tx, destBucket, destKey, true);
      if (current && !upsert) throw ERRORS.keyAlreadyExists();
      const row = await writeRow(tx, destBucket, destKey, version, caller.sub, { ...metadata, lastModified: new Date().toUTCString() }, userMetadata);
      return { row, previous: current?.version };
    });
    if (previous) await core.files.remove(destBucket, destKey, previous);
    return { ...row, Key: `${destBucket}/${destKey}` };
  } catch (err) {
    await core.files.remove(destBucket, destKey, version);
    throw err;
  }
}

/** Signs `{url, scope, …extra}` for `expiresIn` seconds with the project's JWT secret. */
export function signUrlToken(core: Core, claims: Record<string, unknown>, expiresIn: number): Promise<string> {
  return signHs256(core.ctx.config.keys.jwtSecret, claims, expiresIn);
}

/** getSignedURL's assertValidNumericJWTExpiration: a positive whole number of seconds. */
export function assertExpiresIn(v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || !Number.isInteger(v)) {
    throw ERRORS.invalidRequest('expiresIn must be a positive integer');
  }
}

/**
 * Checks a signed URL token (object.ts verifyObjectSignature): signature and expiry, the scope
 * it was issued for, and that it names exactly this object.
 */
export async function verifyUrlToken(
  core: Core,
  token: string | null,
  bucketId: string,
  key: string,
  scope: typeof SCOPE_DOWNLOAD | typeof SCOPE_UPLOAD,
): Promise<Record<string, unknown> & { url: string; exp: number }> {
  if (!token) throw ERRORS.invalidRequest("querystring must have required property 'token'");
  let payload: Record<string, unknown>;
  try {
    payload = (await core.ctx.verifyJwt(token)) as Record<string, unknown>;
  } catch (err) {
    throw ERRORS.invalidJwt(tokenFailureMessage(err));
  }
  const isUpload = payload.scope === SCOPE_UPLOAD || (payload.scope === undefined && 'upsert' in payload);
  const isDownload = payload.scope === SCOPE_DOWNLOAD || (payload.scope === undefined && !('upsert' in payload) && 'url' in payload);
  if (scope === SCOPE_UPLOAD ? !isUpload : !isDownload) throw ERRORS.invalidSignature(`Token is not scoped for ${scope}`);
  if (payload.url !== `${bucketId}/${key}`) throw ERRORS.invalidSignature();
  if (typeof payload.exp !== 'number' || payload.exp * 1000 < Date.now()) throw ERRORS.expiredSignature();
  return payload as Record<string, unknown> & { url: string; exp: number };
}
