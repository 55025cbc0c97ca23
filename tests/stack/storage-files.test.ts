import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../local-stack/storage/files.ts';

// The storage service's disk layer on its own: where bytes may go and what a failed write leaves.
const root = mkdtempSync(path.join(tmpdir(), 'lintel-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('storage file store', () => {
  it('keeps every object path inside its bucket folder', () => {
    const store = new FileStore(root);
    expect(store.objectPath('photos', 'org/req/a.jpg', 'v1')).toBe(path.join(root, 'photos', 'org', 'req', 'a.jpg', 'v1'));
    for (const key of ['../x', 'a/../../x', './a', 'a//b', 'a\\..\\b', '']) {
      expect(() => store.objectPath('photos', key, 'v1'), key).toThrow(/Invalid key/);
    }
    for (const bucket of ['..', '.', 'a/b', '']) {
      expect(() => store.objectPath(bucket, 'a.jpg', 'v1'), bucket).toThrow();
    }
  });

  it('stages bytes with their size and MD5 ETag, and removes the temp file of a write over the limit', async () => {
    const store = new FileStore(root);
    await store.init();
    const ok = await store.stage(Readable.from([Buffer.from('hello')]), 10);
    expect(ok).toMatchObject({ size: 5, eTag: '"5d41402abc4b2a76b9719d911017c592"' });
    await store.discard(ok);

    await expect(store.stage(Readable.from([Buffer.alloc(8), Buffer.alloc(8)]), 10)).rejects.toMatchObject({
      statusCode: 413,
      code: 'EntityTooLarge',
    });
    const broken = new Readable({ read() {} });
    const staging = store.stage(broken, 1000);
    broken.push(Buffer.alloc(100));
    broken.destroy(new Error('client went away'));
    await expect(staging).rejects.toThrow('client went away');
    expect(readdirSync(store.tmpDir)).toEqual([]);
  });
});
