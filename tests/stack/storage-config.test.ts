import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StackConfig } from '../../local-stack/config.ts';
import { createLogger } from '../../local-stack/log.ts';
import type { ServiceContext } from '../../local-stack/services.ts';
import { syncConfigBuckets } from '../../local-stack/storage/config-buckets.ts';
import type { Core } from '../../local-stack/storage/core.ts';
import { StorageDb } from '../../local-stack/storage/db.ts';
import { FileStore } from '../../local-stack/storage/files.ts';
import { db, stack } from '../setup/clients.ts';

// `[storage.buckets.<name>]` as `supabase start` applies it: the bucket's settings and the files
// under objects_path, against the test stack's database with a project folder of its own.
const project = mkdtempSync(path.join(tmpdir(), 'lintel-buckets-'));
const bucket = `seeded-${randomUUID().slice(0, 8)}`;
const storageDb = new StorageDb(stack().DB_URL!);
afterAll(async () => {
  await storageDb.end();
  rmSync(project, { recursive: true, force: true });
});

async function coreWith(buckets: Record<string, unknown>): Promise<Core> {
  const config = { projectRoot: project, toml: { storage: { buckets } } } as unknown as StackConfig;
  const files = new FileStore(path.join(project, 'state', 'storage'));
  await files.init();
  return {
    ctx: { config } as ServiceContext,
    db: storageDb,
    files,
    globalFileSizeLimit: 50 * 1024 * 1024,
    imageTransformation: true,
  };
}

describe('buckets from config.toml', () => {
  it('creates and updates a bucket and uploads the files of objects_path once', async () => {
    mkdirSync(path.join(project, 'supabase', 'seed-files', 'docs'), { recursive: true });
    writeFileSync(path.join(project, 'supabase', 'seed-files', 'docs', 'welcome.txt'), 'welcome');
    writeFileSync(path.join(project, 'supabase', 'seed-files', 'logo.png'), 'not really a png');
    const logger = createLogger('storage-config-test', { level: 'silent' });

    await syncConfigBuckets(
      await coreWith({ [bucket]: { public: true, file_size_limit: '1MiB', allowed_mime_types: ['text/plain'], objects_path: './seed-files' } }),
      logger,
    );
    const client = await db();
    try {
      const b = await client.query('select public, file_size_limit, allowed_mime_types from storage.buckets where id = $1', [bucket]);
      expect(b.rows[0]).toEqual({ public: true, file_size_limit: String(1024 * 1024), allowed_mime_types: ['text/plain'] });
      const o = await client.query(
        `select name, metadata ->> 'mimetype' as mime, (metadata ->> 'size')::int as size, version from storage.objects where bucket_id = $1 order by name`,
        [bucket],
      );
      expect(o.rows.map((r) => [r.name, r.mime, r.size])).toEqual([
        ['docs/welcome.txt', 'text/plain; charset=utf-8', 7],
        ['logo.png', 'image/png', 16],
      ]);
      const file = path.join(project, 'state', 'storage', bucket, 'docs', 'welcome.txt', o.rows[0].version);
      expect(existsSync(file)).toBe(true);

      // A second start changes the settings and leaves the seeded objects as they are.
      await syncConfigBuckets(await coreWith({ [bucket]: { public: false, objects_path: './seed-files' } }), logger);
      const b2 = await client.query('select public, file_size_limit, allowed_mime_types from storage.buckets where id = $1', [bucket]);
      expect(b2.rows[0]).toEqual({ public: false, file_size_limit: null, allowed_mime_types: null });
      const o2 = await client.query('select version from storage.objects where bucket_id = $1 order by name', [bucket]);
      expect(o2.rows.map((r) => r.version)).toEqual(o.rows.map((r) => r.version));
      expect(readdirSync(path.dirname(file))).toEqual([o.rows[0].version]);
    } finally {
      await client.query(`select set_config('storage.allow_delete_query', 'true', false)`);
      await client.query('delete from storage.objects where bucket_id = $1', [bucket]);
      await client.query('delete from storage.buckets where id = $1', [bucket]);
      await client.end();
    }
  });
});
