import { randomUUID, createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Logger } from '../log.ts';
import { assertValidBucketName, assertValidKey, findObject, lockObject, type Core } from './core.ts';
import { parseConfigFileSize } from './upload.ts';

interface BucketConfig {
  public?: boolean;
  file_size_limit?: string | number;
  allowed_mime_types?: string[];
  objects_path?: string;
}

/** MIME types for seeded files by extension (the CLI seeds with Go's mime.TypeByExtension). */
const MIME_BY_EXT: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
};

/**
 * Creates or updates the buckets declared as `[storage.buckets.<name>]` in config.toml, as
 * `supabase start` seeds them (`public`, `file_size_limit`, `allowed_mime_types`), and uploads
 * the files under `objects_path` (relative to `supabase/`) into them, keeping existing objects.
 */
export async function syncConfigBuckets(core: Core, logger: Logger): Promise<void> {
  const storage = (core.ctx.config.toml.storage ?? {}) as { buckets?: Record<string, BucketConfig> };
  for (const [name, cfg] of Object.entries(storage.buckets ?? {})) {
    assertValidBucketName(name);
    const limit = cfg.file_size_limit === undefined ? null : (parseConfigFileSize(cfg.file_size_limit) ?? null);
    await core.db.asSuperUser((tx) =>
      tx.query(
        `insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
         values ($1, $1, $2, $3, $4)
         on conflict (id) do update set public = excluded.public, file_size_limit = excluded.file_size_limit,
           allowed_mime_types = excluded.allowed_mime_types, updated_at = now()`,
        [name, cfg.public === true, limit, cfg.allowed_mime_types?.length ? cfg.allowed_mime_types : null],
      ),
    );
    if (cfg.objects_path) {
      const dir = path.resolve(core.ctx.config.projectRoot, 'supabase', cfg.objects_path);
      await seedObjects(core, name, dir, logger).catch((err) => logger.warn({ err, bucket: name, dir }, 'could not seed bucket objects'));
    }
  }
}

async function seedObjects(core: Core, bucket: string, dir: string, logger: Logger): Promise<void> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const key = path.relative(dir, full).split(path.sep).join('/');
    assertValidKey(key);
    const bytes = await readFile(full);
    const version = randomUUID();
    const target = core.files.objectPath(bucket, key, version);
    const placed = await core.db.asSuperUser(async (tx) => {
      await lockObject(tx, bucket, key);
      if (await findObject(tx, bucket, key)) return false;
      const mimetype = MIME_BY_EXT[path.extname(key).toLowerCase()] ?? 'application/octet-stream';
      const metadata = {
        eTag: `"${createHash('md5').update(bytes).digest('hex')}"`,
        size: bytes.length,
        mimetype,
        cacheControl: 'max-age=3600',
        lastModified: new Date().toUTCString(),
        contentLength: bytes.length,
        httpStatusCode: 200,
      };
      await tx.query(
        `insert into storage.objects (bucket_id, name, version, metadata, user_metadata) values ($1, $2, $3, $4, '{}')`,
        [bucket, key, version, metadata],
      );
      const staged = await core.files.stage(Readable.from([bytes]), Infinity);
      await core.files.place(staged, bucket, key, version);
      return true;
    });
    if (placed) logger.debug({ bucket, key, target }, 'seeded object');
  }
}
