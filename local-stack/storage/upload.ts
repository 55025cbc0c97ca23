import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import { ERRORS } from './errors.ts';

/** An upload's body and what the request says about it, before any byte is stored. */
export interface IncomingFile {
  body: Readable;
  mimeType: string;
  cacheControl: string;
  userMetadata: Record<string, unknown> | undefined;
  /** Content-Length of a raw body; unknown for multipart (it includes the boundaries). */
  declaredLength: number | undefined;
}

/** Custom metadata above this size is refused (uploader.ts MAX_CUSTOM_METADATA_SIZE). */
const MAX_CUSTOM_METADATA_SIZE = 1024 * 1024;

/**
 * Reads an upload the two ways supabase/storage accepts (uploader.ts fileUploadFromRequest):
 * `multipart/form-data` with fields `cacheControl`, `metadata` (JSON), `contentType` and one
 * file whose part type is the object's MIME type; or a raw body whose `content-type`,
 * `cache-control` and base64-JSON `x-metadata` headers describe it. Without a cacheControl the
 * object gets `no-cache`.
 */
export async function readUpload(req: Request): Promise<IncomingFile> {
  const contentType = req.headers.get('content-type') ?? '';
  if (!req.body) throw ERRORS.noContentProvided();
  const raw = Readable.fromWeb(req.body as unknown as NodeWebReadableStream<Uint8Array>);
  if (contentType.startsWith('multipart/form-data')) return readMultipart(raw, req.headers);

  const lengthHeader = req.headers.get('content-length');
  const length = lengthHeader === null ? NaN : Number(lengthHeader);
  let userMetadata: Record<string, unknown> | undefined;
  const xMetadata = req.headers.get('x-metadata');
  if (xMetadata) {
    try {
      userMetadata = JSON.parse(Buffer.from(xMetadata, 'base64').toString('utf8'));
    } catch {
      userMetadata = undefined;
    }
  }
  return {
    body: raw,
    mimeType: contentType || 'application/octet-stream',
    cacheControl: req.headers.get('cache-control') ?? 'no-cache',
    userMetadata,
    declaredLength: Number.isFinite(length) && length >= 0 ? length : undefined,
  };
}

function readMultipart(raw: Readable, headers: Headers): Promise<IncomingFile> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: Object.fromEntries(headers), limits: { fields: 10, files: 1 } });
    } catch (err) {
      reject(ERRORS.noContentProvided((err as Error).message));
      return;
    }
    const fields: Record<string, string> = {};
    let settled = false;
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_name, stream, info) => {
      if (settled) {
        stream.resume();
        return;
      }
      settled = true;
      const custom = fields.metadata ?? fields.userMetadata;
      let userMetadata: Record<string, unknown> | undefined;
      if (custom !== undefined) {
        if (Buffer.byteLength(custom, 'utf8') > MAX_CUSTOM_METADATA_SIZE) {
          stream.resume();
          reject(ERRORS.entityTooLarge());
          return;
        }
        try {
          userMetadata = JSON.parse(custom);
        } catch {
          userMetadata = undefined;
        }
      }
      // The file stream ends with the part; later parts are only drained.
      parser.on('error', (err) => stream.destroy(err as Error));
      raw.on('error', (err) => stream.destroy(err));
      resolve({
        body: stream,
        mimeType: fields.contentType || info.mimeType || 'application/octet-stream',
        cacheControl: fields.cacheControl ? `max-age=${fields.cacheControl}` : 'no-cache',
        userMetadata,
        declaredLength: undefined,
      });
    });
    parser.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(ERRORS.noContentProvided((err as Error).message));
      }
    });
    parser.on('close', () => {
      if (!settled) {
        settled = true;
        reject(ERRORS.noContentProvided());
      }
    });
    raw.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(ERRORS.noContentProvided(err.message));
      }
    });
    raw.pipe(parser);
  });
}

/**
 * A bucket's allowed_mime_types check, exactly as uploader.ts validateMimeType does it: the
 * request's type must equal an entry's type, and its subtype (as sent, parameters included)
 * equal the entry's or the entry be `type/*`. So `text/plain;charset=UTF-8` passes `text/*`
 * but not `text/plain`, as on Supabase.
 */
export function assertMimeAllowed(mimeType: string, allowed: string[] | null | undefined): void {
  if (!allowed || allowed.length === 0) return;
  const [type, sub] = mimeType.split('/');
  if (!type || sub === undefined) throw ERRORS.invalidMimeType(mimeType);
  for (const entry of allowed) {
    const [aType, aSub] = entry.split('/');
    if (aType === type && (aSub === '*' || aSub === sub)) return;
  }
  throw ERRORS.invalidMimeType(mimeType);
}

/**
 * A size such as "20mb" as storage's bucket API reads it (limits.ts parseFileSizeToBytes:
 * decimal units), or a plain number of bytes.
 */
export function parseApiFileSize(value: unknown): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value);
  if (typeof value !== 'string') throw ERRORS.invalidFileSizeLimit();
  if (/^[0-9]+$/.test(value)) return Number(value);
  const m = /^([0-9]+(?:\.[0-9]+)?)(gb|mb|kb|b)$/i.exec(value);
  if (!m) throw ERRORS.invalidFileSizeLimit();
  const n = Number(parseFloat(m[1]!).toPrecision(3));
  const unit = { gb: 1e9, mb: 1e6, kb: 1e3, b: 1 }[m[2]!.toLowerCase() as 'gb' | 'mb' | 'kb' | 'b'];
  return Math.round(n * unit);
}

/**
 * A size from config.toml as the Supabase CLI reads it (go-units RAMInBytes: "50MiB", "10MB",
 * binary multiples for both spellings), or a number of bytes.
 */
export function parseConfigFileSize(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.floor(value);
  if (typeof value !== 'string') return undefined;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?)(i?b?)\s*$/i.exec(value);
  if (!m) return undefined;
  const power = ' kmgtp'.indexOf((m[2] || ' ').toLowerCase());
  return Math.floor(Number(m[1]) * 1024 ** Math.max(power, 0));
}
