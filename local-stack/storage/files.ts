import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ERRORS } from './errors.ts';

/** What a finished write to the temp area knows about the bytes. */
export interface StagedFile {
  tmpPath: string;
  size: number;
  /** Quoted MD5, the ETag S3 and storage's file backend give a single-part object. */
  eTag: string;
}

/**
 * Object bytes on disk, laid out like supabase/storage's file backend: one directory per object
 * key under its bucket, holding one file per version (`<root>/<bucket>/<key>/<version>`), so a
 * key and a "folder" of the same name never collide and a new version never overwrites the one
 * being served. Uploads stream into `<root>/.tmp/` first and are renamed into place only once
 * their row is written; nothing half-written ever sits at an object's path.
 */
export class FileStore {
  readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, '.tmp');
  }

  async init(): Promise<void> {
    // Leftovers of uploads interrupted by a crash belong to no row.
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  /**
   * The file of one version. Keys are checked segment by segment and the resolved path must
   * stay inside the bucket's folder, so no key or bucket name reaches outside the store.
   */
  objectPath(bucket: string, key: string, version: string): string {
    const segments = key.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..') || key.includes('\\') || key.includes('\0')) {
      throw ERRORS.invalidKey(key);
    }
    if (bucket === '.' || bucket === '..' || bucket.includes('/') || bucket.includes('\\') || !bucket) {
      throw ERRORS.invalidBucketName();
    }
    const bucketDir = path.resolve(this.root, bucket);
    const full = path.resolve(bucketDir, ...segments, version);
    if (!full.startsWith(bucketDir + path.sep) || path.dirname(bucketDir) !== path.resolve(this.root)) {
      throw ERRORS.invalidKey(key);
    }
    return full;
  }

  /** Streams `body` into a temp file, failing with 413 past `maxBytes`; removes it on any failure. */
  async stage(body: Readable, maxBytes: number): Promise<StagedFile> {
    const tmpPath = path.join(this.tmpDir, randomUUID());
    const md5 = createHash('md5');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) {
          done(ERRORS.entityTooLarge());
          return;
        }
        md5.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(tmpPath));
    } catch (err) {
      await rm(tmpPath, { force: true });
      throw err;
    }
    return { tmpPath, size, eTag: `"${md5.digest('hex')}"` };
  }

  /** Moves a staged file to the object's version path. */
  async place(staged: StagedFile, bucket: string, key: string, version: string): Promise<string> {
    const target = this.objectPath(bucket, key, version);
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await rename(staged.tmpPath, target);
    } catch (err) {
      // A key segment longer than the file system allows, or a key below another object's file.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENAMETOOLONG' || code === 'ENOTDIR' || code === 'EEXIST') throw ERRORS.invalidKey(key);
      throw err;
    }
    return target;
  }

  async copy(from: { bucket: string; key: string; version: string }, to: { bucket: string; key: string; version: string }) {
    const source = this.objectPath(from.bucket, from.key, from.version);
    const target = this.objectPath(to.bucket, to.key, to.version);
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await copyFile(source, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw ERRORS.assetNotFound();
      throw err;
    }
  }

  async size(bucket: string, key: string, version: string): Promise<number | undefined> {
    try {
      return (await stat(this.objectPath(bucket, key, version))).size;
    } catch {
      return undefined;
    }
  }

  read(bucket: string, key: string, version: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.objectPath(bucket, key, version), range);
  }

  /** Removes one version's file; best effort, like upstream's queued ObjectAdminDelete. */
  async remove(bucket: string, key: string, version: string | null | undefined): Promise<void> {
    if (!version) return;
    try {
      await rm(this.objectPath(bucket, key, version), { force: true });
    } catch {
      // A key that cannot be on disk has nothing to remove.
    }
  }

  async discard(staged: StagedFile | undefined): Promise<void> {
    if (staged) await rm(staged.tmpPath, { force: true });
  }

  async removeBucket(bucket: string): Promise<void> {
    if (!bucket || bucket === '.' || bucket === '..' || bucket.includes('/')) return;
    await rm(path.join(this.root, bucket), { recursive: true, force: true });
  }
}
