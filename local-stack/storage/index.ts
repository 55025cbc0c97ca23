import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { MountedService, RequestContext, ServiceContext } from '../service.ts';
import { createBucket, deleteBucket, emptyBucket, getBucket, listBuckets, updateBucket } from './buckets.ts';
import { resolveCaller, type Caller } from './caller.ts';
import { syncConfigBuckets } from './config-buckets.ts';
import { findBucket, findObjectAs, findObjectAsSuperUser, scopeOf, type Core, type ObjectRow } from './core.ts';
import { StorageDb } from './db.ts';
import { ERRORS, StorageError } from './errors.ts';
import { FileStore } from './files.ts';
import { errorResponse, json, matchRoute, readJson, type Route, type RouteMatch } from './http.ts';
import { decodeTransform, describeTransform, encodeTransform, RenderCache, renderImage, transformFromQuery, type TransformOptions } from './image.ts';
import { listObjects, listObjectsV2 } from './list.ts';
import {
  assertExpiresIn,
  copyObject,
  infoBody,
  moveObject,
  removeObjects,
  SCOPE_DOWNLOAD,
  SCOPE_UPLOAD,
  serveObject,
  SIGNED_UPLOAD_EXPIRES_IN,
  signUrlToken,
  testWrite,
  uploadObject,
  verifyUrlToken,
} from './objects.ts';
import { parseConfigFileSize } from './upload.ts';

const PREFIX = '/storage/v1';
/** The CLI's `[storage] file_size_limit` default. */
const DEFAULT_FILE_SIZE_LIMIT = 50 * 1024 * 1024;

/**
 * `/storage/v1`: a supabase/storage-compatible object store. Buckets and object rows live in
 * the `storage` schema of the stack's database, every operation runs as the caller so RLS on
 * storage.objects decides, and bytes live under `<stateDir>/storage/`.
 */
export async function startStorage(ctx: ServiceContext): Promise<MountedService> {
  const toml = ctx.config.toml as { storage?: Record<string, unknown> };
  const storageToml = toml.storage ?? {};
  const imageToml = (storageToml.image_transformation ?? {}) as { enabled?: unknown };
  const db = new StorageDb(ctx.dbUrl);
  const files = new FileStore(path.join(ctx.config.stateDir, 'storage'));
  await files.init();
  const core: Core = {
    ctx,
    db,
    files,
    globalFileSizeLimit: parseConfigFileSize(storageToml.file_size_limit) ?? DEFAULT_FILE_SIZE_LIMIT,
    imageTransformation: imageToml.enabled !== false,
  };
  try {
    await syncConfigBuckets(core, ctx.logger);
  } catch (err) {
    await db.end();
    throw err;
  }
  const routes = buildRoutes(core);

  return {
    name: 'storage',
    prefix: PREFIX,
    async fetch(req: Request, rctx: RequestContext) {
      const { url } = rctx;
      try {
        const method = req.method === 'HEAD' ? 'HEAD' : req.method;
        const found = matchRoute(routes, method, url.pathname.slice(PREFIX.length) || '/');
        if (!found) {
          // setRestNotFoundHandler (src/http/not-found-handler.ts), with the URL as the route saw it.
          const route = `${url.pathname.slice(PREFIX.length) || '/'}${url.search}`;
          return json({ statusCode: '404', code: 'InvalidRequest', error: 'Not Found', message: `Route ${req.method}:${route} not found` }, 404);
        }
        return await found.route.handler({ req, url, rawHeaders: rctx.rawHeaders, params: found.params, key: found.key, log: rctx.log });
      } catch (err) {
        if (!(err instanceof StorageError)) ctx.logger.error({ err, requestId: rctx.requestId }, 'storage request failed');
        return errorResponse(err);
      }
    },
    async stop() {
      await db.end();
    },
  };
}

/** Memory for rendered images (thumbnails are a few KB each). */
const RENDER_CACHE_BYTES = 64 * 1024 * 1024;

function buildRoutes(core: Core): Route[] {
  const { ctx } = core;
  const renders = new RenderCache(RENDER_CACHE_BYTES);
  const caller = async (m: RouteMatch, allowAnonymous = false) => {
    const c = await resolveCaller(m.req.headers, ctx, { allowAnonymous });
    m.log.role = c.role;
    if (c.sub) m.log.user = c.sub;
    if (typeof c.claims.org_id === 'string') m.log.org = c.claims.org_id;
    return c;
  };
  const scope = (m: RouteMatch, op: string) => scopeOf(m, op);

  /** Who may read an object's bytes (getObject.ts): public buckets to all, others through RLS. */
  async function readableObject(m: RouteMatch, c: Caller, op: string, publicOnly = false): Promise<ObjectRow> {
    const bucketId = m.params.bucket!;
    const bucket = await findBucket(core, bucketId);
    if (!bucket || (publicOnly && !bucket.public) || (!c.authenticated && !bucket.public)) throw ERRORS.noSuchBucket();
    return bucket.public
      ? findObjectAsSuperUser(core, bucketId, m.key)
      : findObjectAs(core, c, scope(m, op), bucketId, m.key);
  }

  async function render(m: RouteMatch, obj: ObjectRow, t: TransformOptions, expires?: string): Promise<Response> {
    if (!core.imageTransformation) {
      throw new StorageError(409, 'FeatureNotEnabled', 'The feature image_transformation is not enabled for this resource');
    }
    const accept = m.req.headers.get('accept');
    const cacheKey = JSON.stringify([obj.bucket_id, obj.name, obj.version, t, t.format !== 'origin' && !!accept?.includes('image/webp')]);
    let out = renders.get(cacheKey);
    if (!out) {
      const file = core.files.objectPath(obj.bucket_id, obj.name, obj.version ?? '');
      let input: Buffer;
      try {
        input = await readFile(file);
      } catch {
        return json(ERRORS.assetNotFound().body(), 400, { 'cache-control': 'no-store' });
      }
      out = await renderImage(input, t, accept);
      renders.set(cacheKey, out);
    }
    const headers = new Headers({
      'content-type': out.contentType,
      'content-length': String(out.body.length),
      'x-transformations': describeTransform(t).join(','),
      'x-robots-tag': 'none',
    });
    const md = obj.metadata ?? {};
    if (expires) headers.set('expires', expires);
    else if (typeof md.cacheControl === 'string') headers.set('cache-control', md.cacheControl);
    if (typeof md.lastModified === 'string') headers.set('last-modified', new Date(md.lastModified).toUTCString());
    const download = m.url.searchParams.get('download');
    if (download !== null) {
      const name = encodeURIComponent(download);
      headers.set('content-disposition', download === '' ? 'attachment;' : `attachment; filename=${name}; filename*=UTF-8''${name}`);
    }
    return new Response(new Uint8Array(out.body), { status: 200, headers });
  }

  const routes: Route[] = [
    // Buckets (src/http/routes/bucket).
    {
      method: 'GET',
      pattern: '/bucket',
      handler: async (m) => {
        const q = m.url.searchParams;
        const c = await caller(m);
        return json(
          await listBuckets(core, c, scope(m, 'storage.bucket.list'), {
            limit: q.get('limit'),
            offset: q.get('offset'),
            search: q.get('search'),
            sortColumn: q.get('sortColumn'),
            sortOrder: q.get('sortOrder'),
          }),
        );
      },
    },
    {
      method: 'GET',
      pattern: '/bucket/:bucket',
      handler: async (m) => json(await getBucket(core, await caller(m), scope(m, 'storage.bucket.get'), m.params.bucket!)),
    },
    {
      method: 'POST',
      pattern: '/bucket',
      handler: async (m) => {
        const c = await caller(m);
        return json(await createBucket(core, c, scope(m, 'storage.bucket.create'), await readJson(m.req)));
      },
    },
    {
      method: 'PUT',
      pattern: '/bucket/:bucket',
      handler: async (m) => {
        const c = await caller(m);
        return json(await updateBucket(core, c, scope(m, 'storage.bucket.update'), m.params.bucket!, await readJson(m.req)));
      },
    },
    {
      method: 'POST',
      pattern: '/bucket/:bucket/empty',
      handler: async (m) => json(await emptyBucket(core, await caller(m), scope(m, 'storage.bucket.empty'), m.params.bucket!)),
    },
    {
      method: 'DELETE',
      pattern: '/bucket/:bucket',
      handler: async (m) => json(await deleteBucket(core, await caller(m), scope(m, 'storage.bucket.delete'), m.params.bucket!)),
    },

    // Listing, move, copy.
    {
      method: 'POST',
      pattern: '/object/list/:bucket',
      handler: async (m) => {
        const c = await caller(m);
        const body = await readJson(m.req);
        return json(await listObjects(core, c, scope(m, 'storage.object.list'), m.params.bucket!, body));
      },
    },
    {
      method: 'POST',
      pattern: '/object/list-v2/:bucket',
      handler: async (m) => {
        const c = await caller(m);
        const body = await readJson(m.req);
        return json(await listObjectsV2(core, c, scope(m, 'storage.object.list_v2'), m.params.bucket!, body));
      },
    },
    {
      method: 'POST',
      pattern: '/object/move',
      handler: async (m) => {
        const c = await caller(m);
        const body = await readJson(m.req);
        if (typeof body.bucketId !== 'string' || typeof body.sourceKey !== 'string' || typeof body.destinationKey !== 'string') {
          throw ERRORS.invalidRequest("body must have required properties 'bucketId', 'sourceKey', 'destinationKey'");
        }
        await moveObject(core, c, scope(m, 'storage.object.move'), body as never);
        return json({ message: 'Successfully moved' });
      },
    },
    {
      method: 'POST',
      pattern: '/object/copy',
      handler: async (m) => {
        const c = await caller(m);
        const body = await readJson(m.req);
        if (typeof body.bucketId !== 'string' || typeof body.sourceKey !== 'string' || typeof body.destinationKey !== 'string') {
          throw ERRORS.invalidRequest("body must have required properties 'bucketId', 'sourceKey', 'destinationKey'");
        }
        const xMetadata = m.req.headers.get('x-metadata');
        let userMetadata: Record<string, unknown> | undefined;
        try {
          userMetadata = xMetadata ? JSON.parse(Buffer.from(xMetadata, 'base64').toString('utf8')) : undefined;
        } catch {
          userMetadata = undefined;
        }
        const row = await copyObject(core, c, scope(m, 'storage.object.copy'), body as never, m.req.headers.get('x-upsert') === 'true', userMetadata);
        const { Key, ...rest } = row;
        return json({ Id: row.id, Key, ...rest });
      },
    },

    // Signed URLs (getSignedURL.ts, getSignedURLs.ts, getSignedObject.ts).
    {
      method: 'POST',
      pattern: '/object/sign/:bucket',
      handler: async (m) => {
        const c = await caller(m);
        const body = await readJson(m.req);
        assertExpiresIn(body.expiresIn);
        const paths = Array.isArray(body.paths) ? body.paths.filter((p): p is string => typeof p === 'string') : [];
        if (!Array.isArray(body.paths)) throw ERRORS.invalidRequest("body must have required property 'paths'");
        const bucketId = m.params.bucket!;
        const visible = await core.db.asCaller(c, scope(m, 'storage.object.sign_many'), async (tx) => {
          const { rows } = await tx.query<{ name: string }>(
            'select name from storage.objects where bucket_id = $1 and name = any($2::text[])',
            [bucketId, paths],
          );
          return new Set(rows.map((r) => r.name));
        });
        const out = await Promise.all(
          paths.map(async (p) => {
            if (!visible.has(p)) {
              return { error: 'Either the object does not exist or you do not have access to it', path: p, signedURL: null };
            }
            const url = `${bucketId}/${p}`;
            const token = await signUrlToken(core, { url, scope: SCOPE_DOWNLOAD }, body.expiresIn as number);
            return { error: null, path: p, signedURL: `/object/sign/${url}?token=${token}` };
          }),
        );
        return json(out);
      },
    },
    {
      method: 'POST',
      pattern: '/object/sign/:bucket/*',
      handler: async (m) => {
        const c = await caller(m);
        const body = await readJson(m.req);
        assertExpiresIn(body.expiresIn);
        const bucketId = m.params.bucket!;
        await findObjectAs(core, c, scope(m, 'storage.object.sign'), bucketId, m.key);
        const transform = (body.transform ?? {}) as TransformOptions;
        const transformations = core.imageTransformation ? encodeTransform(transform) : '';
        const url = `${bucketId}/${m.key}`;
        const claims: Record<string, unknown> = { url, scope: SCOPE_DOWNLOAD };
        if (transformations) claims.transformations = transformations;
        const token = await signUrlToken(core, claims, body.expiresIn);
        return json({ signedURL: `/${transformations ? 'render/image' : 'object'}/sign/${url}?token=${token}` });
      },
    },
    {
      method: ['GET', 'HEAD'],
      pattern: '/object/sign/:bucket/*',
      handler: async (m) => {
        const bucketId = m.params.bucket!;
        const token = await verifyUrlToken(core, m.url.searchParams.get('token'), bucketId, m.key, SCOPE_DOWNLOAD);
        const obj = await findObjectAsSuperUser(core, bucketId, m.key);
        return serveObject(core, m.req, obj, {
          download: m.url.searchParams.get('download'),
          expires: new Date(token.exp * 1000).toUTCString(),
        });
      },
    },

    // Signed upload URLs (getSignedUploadURL.ts, uploadSignedObject.ts).
    {
      method: 'POST',
      pattern: '/object/upload/sign/:bucket/*',
      handler: async (m) => {
        const c = await caller(m);
        const bucketId = m.params.bucket!;
        const upsert = m.req.headers.get('x-upsert') === 'true';
        if (!(await findBucket(core, bucketId))) throw ERRORS.noSuchBucket();
        const contentLength = m.req.headers.get('content-length');
        await testWrite(
          core,
          c,
          scope(m, 'storage.object.sign_upload_url'),
          bucketId,
          m.key,
          upsert,
          c.sub,
          { mimetype: m.req.headers.get('content-type') ?? undefined, contentLength: contentLength ? Number(contentLength) : undefined },
          {},
        );
        const url = `${bucketId}/${m.key}`;
        const token = await signUrlToken(core, { owner: c.sub, url, upsert, scope: SCOPE_UPLOAD }, SIGNED_UPLOAD_EXPIRES_IN);
        return json({ url: `/object/upload/sign/${url}?token=${token}`, token });
      },
    },
    {
      method: 'PUT',
      pattern: '/object/upload/sign/:bucket/*',
      handler: async (m) => {
        const bucketId = m.params.bucket!;
        const token = await verifyUrlToken(core, m.url.searchParams.get('token'), bucketId, m.key, SCOPE_UPLOAD);
        const owner = typeof token.owner === 'string' ? token.owner : undefined;
        const anon: Caller = { role: 'anon', claims: { role: 'anon' }, jwt: '', authenticated: false };
        const result = await uploadObject(core, m.req, anon, scope(m, 'storage.object.upload_signed'), bucketId, m.key, {
          upsert: token.upsert === true,
          skipRls: true,
          owner,
        });
        return json({ Key: result.key, Id: result.id });
      },
    },

    // Object info (getObjectInfo.ts).
    {
      method: 'GET',
      pattern: '/object/info/public/:bucket/*',
      handler: async (m) => {
        const bucket = await findBucket(core, m.params.bucket!);
        if (!bucket?.public) throw ERRORS.noSuchBucket();
        return json(infoBody(await findObjectAsSuperUser(core, bucket.id, m.key)));
      },
    },
    {
      method: 'GET',
      pattern: '/object/info/authenticated/:bucket/*',
      handler: async (m) => json(infoBody(await readableObject(m, await caller(m), 'object.get_authenticated_info'))),
    },
    {
      method: 'GET',
      pattern: '/object/info/:bucket/*',
      handler: async (m) => json(infoBody(await readableObject(m, await caller(m, true), 'object.get_authenticated_info'))),
    },

    // Downloads (getObject.ts, getPublicObject.ts).
    {
      method: ['GET', 'HEAD'],
      pattern: '/object/public/:bucket/*',
      handler: async (m) => {
        const obj = await readableObject(m, await caller(m, true), 'storage.object.get_public', true);
        return serveObject(core, m.req, obj, { download: m.url.searchParams.get('download') });
      },
    },
    {
      method: ['GET', 'HEAD'],
      pattern: '/object/authenticated/:bucket/*',
      handler: async (m) => {
        const obj = await readableObject(m, await caller(m), 'storage.object.get_authenticated');
        return serveObject(core, m.req, obj, { download: m.url.searchParams.get('download') });
      },
    },

    // Upload, update, remove, download by bucket and key.
    {
      method: 'POST',
      pattern: '/object/:bucket/*',
      handler: async (m) => {
        const c = await caller(m);
        const upsert = m.req.headers.get('x-upsert') === 'true';
        const r = await uploadObject(core, m.req, c, scope(m, 'storage.object.upload'), m.params.bucket!, m.key, { upsert });
        return json({ Id: r.id, Key: r.key });
      },
    },
    {
      method: 'PUT',
      pattern: '/object/:bucket/*',
      handler: async (m) => {
        const c = await caller(m);
        const r = await uploadObject(core, m.req, c, scope(m, 'storage.object.upload_update'), m.params.bucket!, m.key, { upsert: true });
        return json({ Id: r.id, Key: r.key });
      },
    },
    {
      method: 'DELETE',
      pattern: '/object/:bucket',
      handler: async (m) => {
        const c = await caller(m);
        const body = await readJson(m.req);
        if (!Array.isArray(body.prefixes)) throw ERRORS.invalidRequest("body must have required property 'prefixes'");
        const names = body.prefixes
          .map((p: unknown) => (typeof p === 'string' ? p : p && typeof p === 'object' ? (p as { path?: unknown }).path : undefined))
          .filter((p): p is string => typeof p === 'string');
        if (names.length > 1000) throw ERRORS.invalidRequest('Bulk object requests are limited to 1000 objects per request.');
        return json(await removeObjects(core, c, scope(m, 'storage.object.delete_many'), m.params.bucket!, names));
      },
    },
    {
      method: 'DELETE',
      pattern: '/object/:bucket/*',
      handler: async (m) => {
        const c = await caller(m);
        const bucketId = m.params.bucket!;
        await findObjectAsSuperUser(core, bucketId, m.key);
        const rows = await removeObjects(core, c, scope(m, 'storage.object.delete'), bucketId, [m.key]);
        if (!rows.length) throw ERRORS.accessDenied();
        return json({ message: 'Successfully deleted' });
      },
    },
    {
      method: ['GET', 'HEAD'],
      pattern: '/object/:bucket/*',
      handler: async (m) => {
        const obj = await readableObject(m, await caller(m, true), 'storage.object.get_authenticated');
        return serveObject(core, m.req, obj, { download: m.url.searchParams.get('download') });
      },
    },

    // Image transformation (src/http/routes/render).
    {
      method: 'GET',
      pattern: '/render/image/authenticated/:bucket/*',
      handler: async (m) => {
        const t = transformFromQuery(m.url.searchParams);
        const obj = await readableObject(m, await caller(m), 'storage.render.image_authenticated');
        return render(m, obj, t);
      },
    },
    {
      method: 'GET',
      pattern: '/render/image/public/:bucket/*',
      handler: async (m) => {
        const t = transformFromQuery(m.url.searchParams);
        const obj = await readableObject(m, await caller(m, true), 'storage.render.image_public', true);
        return render(m, obj, t);
      },
    },
    {
      method: 'GET',
      pattern: '/render/image/sign/:bucket/*',
      handler: async (m) => {
        const bucketId = m.params.bucket!;
        const token = await verifyUrlToken(core, m.url.searchParams.get('token'), bucketId, m.key, SCOPE_DOWNLOAD);
        const obj = await findObjectAsSuperUser(core, bucketId, m.key);
        const t = decodeTransform(typeof token.transformations === 'string' ? token.transformations : '');
        return render(m, obj, t, new Date(token.exp * 1000).toUTCString());
      },
    },
  ];
  return routes;
}
