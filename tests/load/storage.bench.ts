import { randomUUID } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import pg from 'pg';
import sharp from 'sharp';
import WebSocket from 'ws';
import { signHs256 } from '../../local-stack/jwt.ts';
import { percentile, printTable, writeResult, type BenchContext } from './lib.ts';

const CASES = [
  { label: '64 KiB', bytes: 64 * 1024, count: 200 },
  { label: '1 MiB', bytes: 1024 * 1024, count: 60 },
  { label: '10 MiB', bytes: 10 * 1024 * 1024, count: 8 },
];
const CONCURRENCY = [1, 4];
const THUMBNAILS = 20;

/**
 * Storage throughput through the gateway with supabase-js: uploads and downloads of 64 KiB,
 * 1 MiB and 10 MiB objects, one at a time and four at once, as a signed-in user whose every
 * operation passes an RLS policy on storage.objects; and thumbnail renders of a phone-sized
 * photo (what a maintenance board loads).
 */
export default async function storageBench({ stack }: BenchContext): Promise<void> {
  const bucket = `bench-${randomUUID().slice(0, 8)}`;
  const user = randomUUID();
  const db = new pg.Client({ connectionString: stack.DB_URL });
  await db.connect();
  const rule = `bucket_id = '${bucket}' and (storage.foldername(name))[1] = (select auth.uid())::text`;
  await db.query(`
    insert into storage.buckets (id, name, public) values ('${bucket}', '${bucket}', false);
    create policy "${bucket} select" on storage.objects for select to authenticated using (${rule});
    create policy "${bucket} insert" on storage.objects for insert to authenticated with check (${rule});
    create policy "${bucket} delete" on storage.objects for delete to authenticated using (${rule});
  `);
  const token = await signHs256(stack.JWT_SECRET!, { sub: user, role: 'authenticated', aud: 'authenticated' }, 3600);
  const client = createClient(stack.API_URL!, stack.ANON_KEY!, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
    accessToken: async () => token,
  });
  const files = client.storage.from(bucket);

  const rows: Record<string, string | number>[] = [];
  const results: Record<string, unknown>[] = [];
  try {
    for (const c of CASES) {
      const body = Buffer.alloc(c.bytes, 7);
      for (const conc of CONCURRENCY) {
        for (const op of ['upload', 'download'] as const) {
          const lat: number[] = [];
          let next = 0;
          const t0 = performance.now();
          await Promise.all(
            Array.from({ length: conc }, async () => {
              while (next < c.count) {
                const i = next++;
                const key = `${user}/${c.label.replace(' ', '')}-${conc}-${i}.bin`;
                const s = performance.now();
                if (op === 'upload') {
                  const { error } = await files.upload(key, body, { contentType: 'application/octet-stream' });
                  if (error) throw new Error(`upload ${key}: ${error.message}`);
                } else {
                  const { data, error } = await files.download(key);
                  if (error || data?.size !== c.bytes) throw new Error(`download ${key}: ${error?.message ?? data?.size}`);
                }
                lat.push(performance.now() - s);
              }
            }),
          );
          const seconds = (performance.now() - t0) / 1000;
          const row = {
            op,
            size: c.label,
            concurrency: conc,
            objects: c.count,
            'MB/s': (c.bytes * c.count) / 1e6 / seconds,
            'ops/s': c.count / seconds,
            'p50 ms': percentile(lat, 50),
            'p95 ms': percentile(lat, 95),
          };
          rows.push(row);
          results.push(row);
        }
      }
    }

    // Noise compresses like a real photo does (a few MB), unlike a flat colour.
    const photo = await sharp({
      create: { width: 4032, height: 3024, channels: 3, background: '#8899aa', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .jpeg({ quality: 85 })
      .toBuffer();
    await files.upload(`${user}/photo.jpg`, photo, { contentType: 'image/jpeg' });
    // Cold: each size is a new rendering of the original; cached: the same thumbnail again, as a
    // board that reloads would ask for it.
    const render = async (width: number) => {
      const s = performance.now();
      const { data, error } = await files.download(`${user}/photo.jpg`, { transform: { width, height: 240 } });
      if (error || !data) throw new Error(`thumbnail: ${error?.message}`);
      return { ms: performance.now() - s, bytes: data.size };
    };
    const cold: number[] = [];
    const cached: number[] = [];
    let thumbBytes = 0;
    for (let i = 0; i < THUMBNAILS; i++) cold.push((await render(320 + i)).ms);
    for (let i = 0; i < THUMBNAILS; i++) {
      const r = await render(320);
      cached.push(r.ms);
      thumbBytes = r.bytes;
    }
    const thumbRows = [
      { op: 'thumbnail ~320x240 of 4032x3024 JPEG, cold', 'original KB': Math.round(photo.length / 1024), 'thumbnail KB': Math.round(thumbBytes / 1024), 'p50 ms': percentile(cold, 50), 'p95 ms': percentile(cold, 95) },
      { op: 'same thumbnail again (render cache)', 'original KB': Math.round(photo.length / 1024), 'thumbnail KB': Math.round(thumbBytes / 1024), 'p50 ms': percentile(cached, 50), 'p95 ms': percentile(cached, 95) },
    ];
    printTable('Storage upload / download through the gateway (supabase-js, RLS as an authenticated user)', rows);
    printTable('Image transformation (sharp)', thumbRows);
    const file = writeResult('storage', { throughput: results, thumbnails: thumbRows });
    process.stdout.write(`\nwrote ${file}\n`);
  } finally {
    await db.query(`
      select set_config('storage.allow_delete_query', 'true', false);
      delete from storage.objects where bucket_id = '${bucket}';
      delete from storage.buckets where id = '${bucket}';
      drop policy if exists "${bucket} select" on storage.objects;
      drop policy if exists "${bucket} insert" on storage.objects;
      drop policy if exists "${bucket} delete" on storage.objects;
    `);
    await db.end();
  }
}
