import { randomUUID } from 'node:crypto';
import { readdirSync, existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { db, serviceClient, stack } from '../setup/clients.ts';

const NO_PERSIST = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };
// Node 20 has no global WebSocket; supabase-js builds its realtime client eagerly.
const REALTIME = { transport: WebSocket as never };

async function token(claims: Record<string, unknown>, expiresIn = 3600): Promise<string> {
  return new SignJWT({ aud: 'authenticated', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(`${expiresIn}s`)
    .sign(new TextEncoder().encode(stack().JWT_SECRET!));
}

/** supabase-js as a signed-in user with the given claims (the token the auth hook would issue). */
async function userClient(sub: string, extra: Record<string, unknown> = {}): Promise<SupabaseClient> {
  const jwt = await token({ sub, role: 'authenticated', ...extra });
  return createClient(stack().API_URL!, stack().ANON_KEY!, { auth: NO_PERSIST, realtime: REALTIME, accessToken: async () => jwt });
}

function anon(): SupabaseClient {
  return createClient(stack().API_URL!, stack().ANON_KEY!, { auth: NO_PERSIST, realtime: REALTIME });
}

async function sql(text: string, values: unknown[] = []) {
  const client = await db();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

async function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } }).png().toBuffer();
}

const suffix = randomUUID().slice(0, 8);
/** Private bucket where each user owns the folder named after their id. */
const OWN = `own-${suffix}`;
/** Private bucket where users may insert and read but not update: upsert must fail there. */
const NO_UPDATE = `noupd-${suffix}`;
const PUBLIC = `pub-${suffix}`;
const alice = randomUUID();
const bob = randomUUID();

beforeAll(async () => {
  const service = serviceClient();
  for (const [id, isPublic] of [[OWN, false], [NO_UPDATE, false], [PUBLIC, true]] as const) {
    const { error } = await service.storage.createBucket(id, { public: isPublic });
    expect(error).toBeNull();
  }
  const own = `bucket_id = '${OWN}' and (storage.foldername(name))[1] = (select auth.uid())::text`;
  const noUpdate = `bucket_id = '${NO_UPDATE}' and (storage.foldername(name))[1] = (select auth.uid())::text`;
  await sql(`
    create policy "${OWN} select" on storage.objects for select to authenticated using (${own});
    create policy "${OWN} insert" on storage.objects for insert to authenticated with check (${own});
    create policy "${OWN} update" on storage.objects for update to authenticated using (${own}) with check (${own});
    create policy "${OWN} delete" on storage.objects for delete to authenticated using (${own});
    create policy "${NO_UPDATE} select" on storage.objects for select to authenticated using (${noUpdate});
    create policy "${NO_UPDATE} insert" on storage.objects for insert to authenticated with check (${noUpdate});
  `);
});

afterAll(async () => {
  await sql(`
    drop policy if exists "${OWN} select" on storage.objects; drop policy if exists "${OWN} insert" on storage.objects;
    drop policy if exists "${OWN} update" on storage.objects; drop policy if exists "${OWN} delete" on storage.objects;
    drop policy if exists "${NO_UPDATE} select" on storage.objects; drop policy if exists "${NO_UPDATE} insert" on storage.objects;
  `);
});

describe('buckets', () => {
  it('creates, reads, updates, lists, empties and deletes a bucket with limits and MIME types', async () => {
    const storage = serviceClient().storage;
    const id = `b-${randomUUID().slice(0, 8)}`;
    expect((await storage.createBucket(id, { public: false, fileSizeLimit: '1mb', allowedMimeTypes: ['image/png'] })).error).toBeNull();
    const got = await storage.getBucket(id);
    expect(got.data).toMatchObject({ id, name: id, public: false, file_size_limit: 1_000_000, allowed_mime_types: ['image/png'] });

    expect((await storage.updateBucket(id, { public: true })).data).toEqual({ message: 'Successfully updated' });
    expect((await storage.getBucket(id)).data).toMatchObject({ public: true, file_size_limit: 1_000_000, allowed_mime_types: ['image/png'] });
    expect((await storage.listBuckets({ search: id })).data?.map((b) => b.id)).toEqual([id]);

    await storage.from(id).upload('a.png', await png(4, 4), { contentType: 'image/png' });
    const notEmpty = await storage.deleteBucket(id);
    expect(notEmpty.error).toMatchObject({ statusCode: '409', message: 'The bucket you tried to delete is not empty' });
    expect((await storage.emptyBucket(id)).error).toBeNull();
    expect((await storage.deleteBucket(id)).data).toEqual({ message: 'Successfully deleted' });
    expect((await storage.getBucket(id)).error).toMatchObject({ statusCode: '404', message: 'Bucket not found' });
  });

  it('refuses a duplicate bucket, and bucket changes by a user without a policy', async () => {
    expect((await serviceClient().storage.createBucket(OWN)).error).toMatchObject({ statusCode: '409' });
    const user = await userClient(alice);
    const created = await user.storage.createBucket(`mine-${suffix}`);
    expect(created.error).toMatchObject({ statusCode: '403', message: 'new row violates row-level security policy' });
    expect((await user.storage.listBuckets()).data).toEqual([]);
    // Emptying a bucket is for the service role only, whatever the object policies allow.
    expect((await user.storage.emptyBucket(OWN)).error).toMatchObject({ status: 403, statusCode: '403', message: 'Access denied: Invalid role' });
    expect((await user.storage.deleteBucket(OWN)).error).toMatchObject({ statusCode: '404' });
    expect((await serviceClient().storage.getBucket(OWN)).error).toBeNull();
  });

  it('seeds the buckets of config.toml at start', async () => {
    const { data } = await serviceClient().storage.getBucket('maintenance-photos');
    expect(data).toMatchObject({ public: false, file_size_limit: 10 * 1024 * 1024, allowed_mime_types: ['image/*'] });
  });
});

describe('objects under RLS', () => {
  it('lets a user upload to and download from their own folder only', async () => {
    const a = (await userClient(alice)).storage.from(OWN);
    const b = (await userClient(bob)).storage.from(OWN);
    const up = await a.upload(`${alice}/note.txt`, 'hello from alice', { contentType: 'text/plain', cacheControl: '60' });
    expect(up.error).toBeNull();
    expect(up.data).toMatchObject({ path: `${alice}/note.txt`, fullPath: `${OWN}/${alice}/note.txt`, id: expect.any(String) });

    const down = await a.download(`${alice}/note.txt`);
    expect(await down.data?.text()).toBe('hello from alice');
    expect((await a.info(`${alice}/note.txt`)).data).toMatchObject({ contentType: 'text/plain', cacheControl: 'max-age=60', size: 16 });
    const raw = await fetch(`${stack().API_URL}/storage/v1/object/authenticated/${OWN}/${alice}/note.txt`, {
      headers: { authorization: `Bearer ${await token({ sub: alice, role: 'authenticated' })}`, range: 'bytes=0-4' },
    });
    expect([raw.status, raw.headers.get('cache-control'), raw.headers.get('content-range'), await raw.text()]).toEqual([
      206,
      'max-age=60',
      'bytes 0-4/16',
      'hello',
    ]);

    // Bob neither reads, lists, overwrites, moves nor removes it, and cannot write into Alice's folder.
    expect((await b.download(`${alice}/note.txt`)).error).toMatchObject({ statusCode: '404' });
    expect((await b.info(`${alice}/note.txt`)).error).toMatchObject({ statusCode: '404' });
    expect((await b.list(alice)).data).toEqual([]);
    expect((await b.upload(`${alice}/evil.txt`, 'x')).error).toMatchObject({ statusCode: '403' });
    expect((await b.upload(`${alice}/note.txt`, 'x', { upsert: true })).error).toMatchObject({ statusCode: '403' });
    expect((await b.remove([`${alice}/note.txt`])).data).toEqual([]);
    expect((await b.move(`${alice}/note.txt`, `${bob}/stolen.txt`)).error).not.toBeNull();
    expect((await b.createSignedUrl(`${alice}/note.txt`, 60)).error).toMatchObject({ statusCode: '404' });
    expect((await anon().storage.from(OWN).download(`${alice}/note.txt`)).error).not.toBeNull();

    // Still there, unchanged, for Alice.
    expect(await (await a.download(`${alice}/note.txt`)).data?.text()).toBe('hello from alice');
  });

  it('needs insert, select and update for an upsert (update alone is what it lacks here)', async () => {
    const a = (await userClient(alice)).storage.from(NO_UPDATE);
    expect((await a.upload(`${alice}/p.txt`, 'one')).error).toBeNull();
    const again = await a.upload(`${alice}/p.txt`, 'two');
    expect(again.error).toMatchObject({ statusCode: '409', message: 'The resource already exists' });
    expect((await a.upload(`${alice}/p.txt`, 'two', { upsert: true })).error).toMatchObject({ statusCode: '403' });
    expect(await (await a.download(`${alice}/p.txt`)).data?.text()).toBe('one');

    const own = (await userClient(alice)).storage.from(OWN);
    await own.upload(`${alice}/u.txt`, 'one');
    expect((await own.upload(`${alice}/u.txt`, 'two', { upsert: true })).error).toBeNull();
    expect((await own.update(`${alice}/u.txt`, 'three')).error).toBeNull();
    expect(await (await own.download(`${alice}/u.txt`)).data?.text()).toBe('three');
  });

  it('moves and copies within what the policies allow', async () => {
    const a = (await userClient(alice)).storage.from(OWN);
    await a.upload(`${alice}/m.txt`, 'move me');
    expect((await a.move(`${alice}/m.txt`, `${alice}/moved/m.txt`)).data).toEqual({ message: 'Successfully moved' });
    expect((await a.download(`${alice}/m.txt`)).error).not.toBeNull();
    expect(await (await a.download(`${alice}/moved/m.txt`)).data?.text()).toBe('move me');
    // The destination must pass the update policy's check: not into Bob's folder.
    expect((await a.move(`${alice}/moved/m.txt`, `${bob}/m.txt`)).error).toMatchObject({ statusCode: '403' });

    expect((await a.copy(`${alice}/moved/m.txt`, `${alice}/copy.txt`)).data).toEqual({ path: `${OWN}/${alice}/copy.txt` });
    expect(await (await a.download(`${alice}/copy.txt`)).data?.text()).toBe('move me');
    expect((await a.copy(`${alice}/moved/m.txt`, `${bob}/copy.txt`)).error).toMatchObject({ statusCode: '403' });
  });

  it('lists one folder level with prefix, limit, offset, sort and search', async () => {
    const a = (await userClient(alice)).storage.from(OWN);
    for (const n of ['b1.txt', 'a1.txt', 'b2.txt', 'c1.txt']) expect((await a.upload(`${alice}/l/${n}`, n)).error).toBeNull();
    await a.upload(`${alice}/l/sub/deep.txt`, 'deep');

    const all = await a.list(`${alice}/l`);
    expect(all.data?.map((o) => o.name)).toEqual(['a1.txt', 'b1.txt', 'b2.txt', 'c1.txt', 'sub']);
    expect(all.data?.find((o) => o.name === 'sub')).toMatchObject({ id: null, metadata: null });
    expect(all.data?.find((o) => o.name === 'a1.txt')?.metadata).toMatchObject({ size: 6, mimetype: 'text/plain;charset=UTF-8' });

    const page = await a.list(`${alice}/l`, { limit: 2, offset: 1, sortBy: { column: 'name', order: 'desc' } });
    expect(page.data?.map((o) => o.name)).toEqual(['c1.txt', 'b2.txt']);
    expect((await a.list(`${alice}/l`, { search: 'b' })).data?.map((o) => o.name)).toEqual(['b1.txt', 'b2.txt']);
    const byCreated = await a.list(`${alice}/l`, { sortBy: { column: 'created_at', order: 'asc' } });
    expect(byCreated.data?.map((o) => o.name)).toEqual(['sub', 'b1.txt', 'a1.txt', 'b2.txt', 'c1.txt']);
  });

  it('serves public buckets to anyone, with the download name', async () => {
    const service = serviceClient().storage.from(PUBLIC);
    await service.upload('docs/readme.txt', 'public text', { contentType: 'text/plain' });
    const url = anon().storage.from(PUBLIC).getPublicUrl('docs/readme.txt', { download: 'read me.txt' }).data.publicUrl;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('public text');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename=read%20me.txt; filename*=UTF-8''read%20me.txt`);
    expect((await fetch(anon().storage.from(OWN).getPublicUrl(`${alice}/note.txt`).data.publicUrl)).status).toBe(400);
  });

  it('keeps every key inside its bucket', async () => {
    const a = (await userClient(alice)).storage.from(OWN);
    const res = await a.upload(`${alice}/..%2F..%2F${PUBLIC}%2Fescape.txt`, 'x');
    expect(res.error).toMatchObject({ statusCode: '400' });
    // URL parsing resolves a dot-segment before the server sees it: the key becomes `x.txt` in
    // the bucket's root, outside Alice's folder, and RLS refuses it.
    expect((await a.upload(`${alice}/%2E%2E/x.txt`, 'x')).error).toMatchObject({ statusCode: '403' });
    // A segment longer than a file name may be is refused as a key, and leaves no row.
    expect((await a.upload(`${alice}/${'n'.repeat(300)}.txt`, 'x')).error).toMatchObject({ statusCode: '400', code: 'InvalidKey' });
    const { rows } = await sql(
      `select name from storage.objects where name like '%escape%' or name like '%..%' or name = 'x.txt' or name like '%nnnnnnnn%'`,
    );
    expect(rows).toEqual([]);
    expect((await serviceClient().storage.from(PUBLIC).download('escape.txt')).error).not.toBeNull();
  });
});

describe('signed URLs', () => {
  it('work until they expire and only for the object they name', async () => {
    const a = (await userClient(alice)).storage.from(OWN);
    await a.upload(`${alice}/s.txt`, 'signed bytes', { contentType: 'text/plain' });
    const { data, error } = await a.createSignedUrl(`${alice}/s.txt`, 1, { download: true });
    expect(error).toBeNull();
    const ok = await fetch(data!.signedUrl);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('signed bytes');
    expect(ok.headers.get('content-disposition')).toBe('attachment;');

    // The token is a JWT signed with the project secret: {url, iat, exp} (plus its scope).
    const jwt = new URL(data!.signedUrl).searchParams.get('token')!;
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    expect(payload).toMatchObject({ url: `${OWN}/${alice}/s.txt`, iat: expect.any(Number), exp: payload.iat + 1 });

    const other = data!.signedUrl.replace('/s.txt?', '/u.txt?');
    expect((await (await fetch(other)).json()).statusCode).toBe('400');

    await new Promise((r) => setTimeout(r, 2100));
    const expired = await fetch(data!.signedUrl);
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ statusCode: '400', error: 'InvalidJWT' });
  });

  it('signs in batch, naming what the caller cannot see', async () => {
    const b = (await userClient(bob)).storage.from(OWN);
    await b.upload(`${bob}/mine.txt`, 'bob');
    const { data } = await b.createSignedUrls([`${bob}/mine.txt`, `${alice}/s.txt`], 60);
    expect(data?.[0]).toMatchObject({ error: null, path: `${bob}/mine.txt` });
    expect(await (await fetch(data![0]!.signedUrl!)).text()).toBe('bob');
    expect(data?.[1]).toMatchObject({ error: 'Either the object does not exist or you do not have access to it', signedUrl: null });
  });

  it('signed upload URLs need the insert policy to be made and upload once', async () => {
    const a = (await userClient(alice)).storage.from(OWN);
    const signed = await a.createSignedUploadUrl(`${alice}/via-signed.txt`);
    expect(signed.error).toBeNull();
    const up = await anon().storage.from(OWN).uploadToSignedUrl(signed.data!.path, signed.data!.token, 'uploaded by link');
    expect(up.error).toBeNull();
    expect(await (await a.download(`${alice}/via-signed.txt`)).data?.text()).toBe('uploaded by link');
    const twice = await anon().storage.from(OWN).uploadToSignedUrl(signed.data!.path, signed.data!.token, 'again');
    expect(twice.error).toMatchObject({ statusCode: '409' });

    const b = (await userClient(bob)).storage.from(OWN);
    expect((await b.createSignedUploadUrl(`${alice}/bob-was-here.txt`)).error).toMatchObject({ statusCode: '403' });
  });
});

describe('limits and errors', () => {
  it('answers 413 over the size limit and 415 for a MIME type the bucket refuses, in Storage’s shape', async () => {
    const storage = serviceClient().storage;
    const id = `lim-${suffix}`;
    await storage.createBucket(id, { public: false, fileSizeLimit: '1kb', allowedMimeTypes: ['image/*'] });
    const big = await storage.from(id).upload('big.png', Buffer.alloc(2000), { contentType: 'image/png' });
    expect(big.error).toMatchObject({ statusCode: '413', message: 'The object exceeded the maximum allowed size' });
    const blob = await storage.from(id).upload('big2.png', new Blob([Buffer.alloc(2000)], { type: 'image/png' }));
    expect(blob.error).toMatchObject({ statusCode: '413' });
    // Compared as Storage compares it: `type/*` takes any subtype, parameters and all.
    expect((await storage.from(id).upload('p.png', Buffer.alloc(10), { contentType: 'image/png;foo=bar' })).error).toBeNull();
    const pdf = await storage.from(id).upload('doc.pdf', Buffer.alloc(10), { contentType: 'application/pdf' });
    expect(pdf.error).toMatchObject({ statusCode: '415', message: 'mime type application/pdf is not supported' });
    expect((await storage.from(id).upload('ok.png', Buffer.alloc(10), { contentType: 'image/png' })).error).toBeNull();

    const res = await fetch(`${stack().API_URL}/storage/v1/object/${id}/doc.pdf`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack().SERVICE_ROLE_KEY}`, 'content-type': 'application/pdf' },
      body: 'x',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      statusCode: '415',
      code: 'InvalidMimeType',
      error: 'invalid_mime_type',
      message: 'mime type application/pdf is not supported',
    });
    const { rows } = await sql('select name from storage.objects where bucket_id = $1', [id]);
    expect(rows.map((r) => r.name).sort()).toEqual(['ok.png', 'p.png']);
  });

  it('refuses requests without a valid token', async () => {
    const res = await fetch(`${stack().API_URL}/storage/v1/bucket`);
    expect(await res.json()).toMatchObject({ statusCode: '403', error: 'Unauthorized', message: 'Invalid Compact JWS' });
    const expired = await token({ sub: alice, role: 'authenticated' }, -10);
    const r2 = await fetch(`${stack().API_URL}/storage/v1/bucket`, { headers: { authorization: `Bearer ${expired}` } });
    expect((await r2.json()).statusCode).toBe('403');
  });

  it('leaves neither a row nor a file behind when an upload is cut off', async () => {
    const s = stack();
    const name = `${alice}/cut-${randomUUID()}.bin`;
    const url = new URL(`${s.API_URL}/storage/v1/object/${OWN}/${name}`);
    const jwt = await token({ sub: alice, role: 'authenticated' });
    await new Promise<void>((resolve) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
          headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/octet-stream', 'content-length': '1000000' } },
        () => resolve(),
      );
      req.on('error', () => resolve());
      req.write(Buffer.alloc(64 * 1024, 1));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    // The server notices the broken stream and clears its temp file; wait for that.
    const tmp = storageTmpDir();
    for (let i = 0; i < 50 && tmp && readdirSync(tmp).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    if (tmp) expect(readdirSync(tmp)).toEqual([]);
    const { rows } = await sql('select 1 from storage.objects where bucket_id = $1 and name = $2', [OWN, name]);
    expect(rows).toEqual([]);
    expect(tmp === undefined || !existsSync(path.join(path.dirname(tmp), OWN, ...name.split('/')))).toBe(true);
  });
});

/** The test stack's storage temp folder (the stack keeps bytes under <stateDir>/storage). */
function storageTmpDir(): string | undefined {
  if (stack().REAL_SUPABASE) return undefined;
  const root = path.resolve('.lintel', 'test');
  const dirs = readdirSync(root).map((d) => path.join(root, d, 'storage'));
  const found = dirs.find((d) => existsSync(path.join(d, OWN)));
  expect(found, 'the test stack keeps this bucket under <stateDir>/storage').toBeDefined();
  return path.join(found!, '.tmp');
}

describe('image transformation', () => {
  it('renders thumbnails for downloads, public and signed URLs with width, height, resize, quality and format', async () => {
    const service = serviceClient().storage;
    const photo = await png(800, 600);
    await service.from(OWN).upload(`${alice}/photo.png`, photo, { contentType: 'image/png' });
    const a = (await userClient(alice)).storage.from(OWN);

    const cover = await a.download(`${alice}/photo.png`, { transform: { width: 100, height: 100 } });
    expect(cover.data?.type).toBe('image/png');
    const coverMeta = await sharp(Buffer.from(await cover.data!.arrayBuffer())).metadata();
    expect([coverMeta.width, coverMeta.height]).toEqual([100, 100]);

    const contain = await a.download(`${alice}/photo.png`, { transform: { width: 100, height: 100, resize: 'contain', quality: 50 } });
    const containMeta = await sharp(Buffer.from(await contain.data!.arrayBuffer())).metadata();
    expect([containMeta.width, containMeta.height, containMeta.format]).toEqual([100, 75, 'png']);
    // `format` beyond `origin` is not in storage-js's types; the render endpoint takes it.
    const webp = await fetch(`${stack().API_URL}/storage/v1/render/image/authenticated/${OWN}/${alice}/photo.png?width=100&format=webp`, {
      headers: { authorization: `Bearer ${await token({ sub: alice, role: 'authenticated' })}` },
    });
    expect(webp.headers.get('content-type')).toBe('image/webp');
    expect((await sharp(Buffer.from(await webp.arrayBuffer())).metadata()).width).toBe(100);

    // Bob gets no thumbnail of Alice's photo either.
    expect((await (await userClient(bob)).storage.from(OWN).download(`${alice}/photo.png`, { transform: { width: 50 } })).error).not.toBeNull();

    const signed = await a.createSignedUrl(`${alice}/photo.png`, 60, { transform: { width: 200, height: 100, quality: 60 } });
    const res = await fetch(signed.data!.signedUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-transformations')).toBe('height:100,width:200,resizing_type:fill,quality:60');
    const signedMeta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([signedMeta.width, signedMeta.height]).toEqual([200, 100]);

    await service.from(PUBLIC).upload('photo.png', photo, { contentType: 'image/png' });
    const publicUrl = anon().storage.from(PUBLIC).getPublicUrl('photo.png', { transform: { width: 40, resize: 'fill', height: 10 } }).data.publicUrl;
    const pub = await fetch(publicUrl, { headers: { accept: 'image/webp,image/*' } });
    expect(pub.headers.get('content-type')).toBe('image/webp');
    const pubMeta = await sharp(Buffer.from(await pub.arrayBuffer())).metadata();
    expect([pubMeta.width, pubMeta.height]).toEqual([40, 10]);
    expect(Number(pub.headers.get('content-length'))).toBeLessThan(photo.length);
  });
});

describe('maintenance-photos (Lintel’s bucket and policies)', () => {
  const BUCKET = 'maintenance-photos';
  const ids = { orgA: randomUUID(), orgB: randomUUID(), r1: randomUUID(), r2: randomUUID(), r3: randomUUID() };
  const req = { r1: randomUUID(), r2: randomUUID(), b: randomUUID() };
  const users = { resident1: randomUUID(), resident2: randomUUID(), residentB: randomUUID(), tech: randomUUID(), viewer: randomUUID(), techB: randomUUID() };
  const claimsOf = {
    resident1: { org_id: ids.orgA, org_role: 'resident', resident_id: ids.r1 },
    resident2: { org_id: ids.orgA, org_role: 'resident', resident_id: ids.r2 },
    residentB: { org_id: ids.orgB, org_role: 'resident', resident_id: ids.r3 },
    tech: { org_id: ids.orgA, org_role: 'maintenance' },
    viewer: { org_id: ids.orgA, org_role: 'viewer' },
    techB: { org_id: ids.orgB, org_role: 'maintenance' },
  };
  const as = async (who: keyof typeof users) => (await userClient(users[who], claimsOf[who])).storage.from(BUCKET);
  let jpeg: Buffer;

  beforeAll(async () => {
    jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3366aa' } }).jpeg().toBuffer();
    // Two orgs, each with a unit; org A has two residents with a request each, org B one.
    const client = await db();
    try {
      await client.query('begin');
      await client.query(`insert into public.organizations (id, name, slug) values ($1, 'Photo Org A', $3), ($2, 'Photo Org B', $4)`, [
        ids.orgA,
        ids.orgB,
        `photo-a-${suffix}`,
        `photo-b-${suffix}`,
      ]);
      const units: Record<string, string> = {};
      for (const org of [ids.orgA, ids.orgB]) {
        const p = await client.query(`insert into public.properties (org_id, name) values ($1, 'House') returning id`, [org]);
        const u = await client.query(`insert into public.units (org_id, property_id, label) values ($1, $2, 'Unit 1') returning id`, [org, p.rows[0].id]);
        units[org] = u.rows[0].id;
      }
      for (const [id, org, name] of [[ids.r1, ids.orgA, 'Resident One'], [ids.r2, ids.orgA, 'Resident Two'], [ids.r3, ids.orgB, 'Resident B']]) {
        await client.query('insert into public.residents (id, org_id, full_name) values ($1, $2, $3)', [id, org, name]);
      }
      for (const [id, org, resident] of [[req.r1, ids.orgA, ids.r1], [req.r2, ids.orgA, ids.r2], [req.b, ids.orgB, ids.r3]]) {
        await client.query(
          `insert into public.maintenance_requests (id, org_id, unit_id, resident_id, title) values ($1, $2, $3, $4, 'Leaking tap')`,
          [id, org, units[org!], resident],
        );
      }
      await client.query('commit');
    } finally {
      await client.end();
    }
  });

  const path1 = () => `${ids.orgA}/${req.r1}/leak.jpg`;
  const path2 = () => `${ids.orgA}/${req.r2}/staff.jpg`;
  const pathB = () => `${ids.orgB}/${req.b}/b.jpg`;

  it('lets a resident upload a photo to their own request’s folder', async () => {
    const r1 = await as('resident1');
    const up = await r1.upload(path1(), jpeg, { contentType: 'image/jpeg' });
    expect(up.error).toBeNull();
    expect((await r1.list(`${ids.orgA}/${req.r1}`)).data?.map((o) => o.name)).toEqual(['leak.jpg']);
    expect((await r1.download(path1())).data?.size).toBe(jpeg.length);
  });

  it('lets the org’s maintenance staff read and write any request folder of their org, and a viewer only read', async () => {
    const tech = await as('tech');
    expect((await tech.list(`${ids.orgA}/${req.r1}`)).data?.map((o) => o.name)).toEqual(['leak.jpg']);
    expect((await tech.download(path1())).error).toBeNull();
    expect((await tech.upload(path2(), jpeg, { contentType: 'image/jpeg' })).error).toBeNull();
    expect((await tech.upload(`${ids.orgB}/${req.b}/x.jpg`, jpeg, { contentType: 'image/jpeg' })).error).toMatchObject({ statusCode: '403' });

    const viewer = await as('viewer');
    expect((await viewer.download(path2())).error).toBeNull();
    expect((await viewer.upload(`${ids.orgA}/${req.r2}/v.jpg`, jpeg, { contentType: 'image/jpeg' })).error).toMatchObject({ statusCode: '403' });
    expect((await viewer.remove([path2()])).data).toEqual([]);
  });

  it('keeps a resident out of another resident’s request and out of other orgs', async () => {
    const bPhoto = await (await as('techB')).upload(pathB(), jpeg, { contentType: 'image/jpeg' });
    expect(bPhoto.error).toBeNull();

    const r1 = await as('resident1');
    expect((await r1.download(path2())).error).toMatchObject({ statusCode: '404' });
    expect((await r1.list(`${ids.orgA}/${req.r2}`)).data).toEqual([]);
    expect((await r1.upload(`${ids.orgA}/${req.r2}/mine.jpg`, jpeg, { contentType: 'image/jpeg' })).error).toMatchObject({ statusCode: '403' });
    expect((await r1.createSignedUrl(path2(), 60)).error).not.toBeNull();
    expect((await r1.download(pathB())).error).toMatchObject({ statusCode: '404' });
    expect((await r1.upload(`${ids.orgB}/${req.b}/mine.jpg`, jpeg, { contentType: 'image/jpeg' })).error).toMatchObject({ statusCode: '403' });
    // Only <org>/<request>/<file>: neither the org root nor deeper folders.
    expect((await r1.upload(`${ids.orgA}/loose.jpg`, jpeg, { contentType: 'image/jpeg' })).error).toMatchObject({ statusCode: '403' });
    expect((await r1.upload(`${ids.orgA}/${req.r1}/deep/x.jpg`, jpeg, { contentType: 'image/jpeg' })).error).toMatchObject({ statusCode: '403' });

    // Resident 2 sees the staff photo on their request but not resident 1's.
    const r2 = await as('resident2');
    expect((await r2.download(path2())).error).toBeNull();
    expect((await r2.download(path1())).error).toMatchObject({ statusCode: '404' });
    expect((await r2.remove([path1()])).data).toEqual([]);

    // Staff of org B see nothing of org A, even with a claim that names org A's folder only in the path.
    const techB = await as('techB');
    expect((await techB.download(path1())).error).toMatchObject({ statusCode: '404' });
    expect((await techB.list(`${ids.orgA}/${req.r1}`)).data).toEqual([]);
    expect((await (await as('residentB')).download(path1())).error).toMatchObject({ statusCode: '404' });
  });

  it('takes images only, up to 10 MB, and serves staff a thumbnail instead of the original', async () => {
    const r1 = await as('resident1');
    expect((await r1.upload(`${ids.orgA}/${req.r1}/notes.pdf`, Buffer.from('%PDF'), { contentType: 'application/pdf' })).error).toMatchObject({
      statusCode: '415',
    });
    const tooBig = Buffer.alloc(10 * 1024 * 1024 + 1);
    expect((await r1.upload(`${ids.orgA}/${req.r1}/huge.jpg`, tooBig, { contentType: 'image/jpeg' })).error).toMatchObject({ statusCode: '413' });

    const thumb = await (await as('tech')).download(path1(), { transform: { width: 160, height: 120 } });
    expect(thumb.error).toBeNull();
    const meta = await sharp(Buffer.from(await thumb.data!.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([160, 120]);
    expect(thumb.data!.size).toBeLessThan(jpeg.length);
  });

  it('lets a resident replace and remove their own upload, not staff photos', async () => {
    const r1 = await as('resident1');
    expect((await r1.upload(path1(), jpeg, { contentType: 'image/jpeg', upsert: true })).error).toBeNull();
    const r2 = await as('resident2');
    expect((await r2.upload(path2(), jpeg, { contentType: 'image/jpeg', upsert: true })).error).toMatchObject({ statusCode: '403' });
    expect((await r2.remove([path2()])).data).toEqual([]);
    expect((await r1.remove([path1()])).data?.map((o) => o.name)).toEqual([path1()]);
  });
});
