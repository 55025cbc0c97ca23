import sharp, { type FormatEnum, type Metadata } from 'sharp';
import { ERRORS } from './errors.ts';

/** The options of Supabase image transformation (storage's renderer/image.ts TransformOptions). */
export interface TransformOptions {
  width?: number;
  height?: number;
  resize?: 'cover' | 'contain' | 'fill';
  quality?: number;
  format?: 'origin' | 'avif' | 'webp';
}

// Upstream clamps sizes to its imgproxy limits (config IMAGE_TRANSFORMATION_LIMIT_MIN/MAX_SIZE).
const SIZE = { min: 1, max: 2500 };
// imgproxy's default output quality (IMGPROXY_QUALITY).
const DEFAULT_QUALITY = 80;

const clamp = (n: number, lo: number, hi: number) => Math.min(Math.max(n, lo), hi);

function int(v: string | null | undefined): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw ERRORS.invalidRequest(`querystring must be an integer: ${v}`);
  return n;
}

/** Reads `width`, `height`, `resize`, `quality`, `format` from a render URL's query. */
export function transformFromQuery(q: URLSearchParams): TransformOptions {
  const resize = q.get('resize') ?? undefined;
  if (resize !== undefined && !['cover', 'contain', 'fill'].includes(resize)) {
    throw ERRORS.invalidRequest('querystring/resize must be equal to one of the allowed values');
  }
  const format = q.get('format') ?? undefined;
  if (format !== undefined && !['origin', 'avif', 'webp'].includes(format)) {
    throw ERRORS.invalidRequest('querystring/format must be equal to one of the allowed values');
  }
  const quality = int(q.get('quality'));
  if (quality !== undefined && (quality < 20 || quality > 100)) {
    throw ERRORS.invalidRequest('querystring/quality must be >= 20 and <= 100');
  }
  return {
    width: int(q.get('width')),
    height: int(q.get('height')),
    resize: resize as TransformOptions['resize'],
    quality,
    format: format as TransformOptions['format'],
  };
}

/** imgproxy's names for Supabase's resize modes (ImageRenderer.formatResizeType). */
function resizingType(resize: TransformOptions['resize']): 'fill' | 'fit' | 'force' {
  return resize === 'contain' ? 'fit' : resize === 'fill' ? 'force' : 'fill';
}

/**
 * The `X-Transformations` header value, in upstream's order (ImageRenderer.applyTransformation):
 * `height:200,width:200,resizing_type:fill,quality:60`.
 */
export function describeTransform(t: TransformOptions): string[] {
  const out: string[] = [];
  if (t.height) out.push(`height:${clamp(t.height, SIZE.min, SIZE.max)}`);
  if (t.width) out.push(`width:${clamp(t.width, SIZE.min, SIZE.max)}`);
  if (t.width || t.height) out.push(`resizing_type:${resizingType(t.resize)}`);
  if (t.quality) out.push(`quality:${t.quality}`);
  if (t.format && t.format !== 'origin') out.push(`format:${t.format}`);
  return out;
}

/** The form a signed render URL's token carries its transformations in (`resize:` keeps the mode). */
export function encodeTransform(t: TransformOptions): string {
  const out: string[] = [];
  if (t.height) out.push(`height:${t.height}`);
  if (t.width) out.push(`width:${t.width}`);
  if (t.resize) out.push(`resize:${t.resize}`);
  if (t.quality) out.push(`quality:${t.quality}`);
  if (t.format) out.push(`format:${t.format}`);
  return out.join(',');
}

/** ImageRenderer.setTransformationsFromString. */
export function decodeTransform(s: string): TransformOptions {
  const t: TransformOptions = {};
  for (const part of s.split(',')) {
    const [name, value] = part.split(':');
    if (!value) continue;
    if (name === 'height') t.height = parseInt(value, 10);
    else if (name === 'width') t.width = parseInt(value, 10);
    else if (name === 'quality') t.quality = parseInt(value, 10);
    else if (name === 'resize' && ['cover', 'contain', 'fill'].includes(value)) t.resize = value as TransformOptions['resize'];
    else if (name === 'format' && ['origin', 'avif', 'webp'].includes(value)) t.format = value as TransformOptions['format'];
  }
  return t;
}

const MIME: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
  heif: 'image/avif',
  tiff: 'image/tiff',
};

/**
 * Renders a transformed image with sharp the way Supabase's imgproxy does: `cover` crops to fill
 * the box, `contain` fits inside it, `fill` stretches; never enlarges; keeps the source format
 * unless `format` asks for webp/avif or, as imgproxy's WebP detection does, the client accepts
 * image/webp and did not ask for `origin`.
 */
export async function renderImage(
  input: Buffer,
  t: TransformOptions,
  accept: string | null,
): Promise<{ body: Buffer; contentType: string }> {
  let image = sharp(input, { failOn: 'error' }).rotate();
  let meta: Metadata;
  try {
    meta = await image.metadata();
  } catch {
    throw ERRORS.imageProcessing('Source image could not be processed');
  }
  const width = t.width ? clamp(t.width, SIZE.min, SIZE.max) : undefined;
  const height = t.height ? clamp(t.height, SIZE.min, SIZE.max) : undefined;
  if (width || height) {
    const fit = t.resize === 'contain' ? 'inside' : t.resize === 'fill' ? 'fill' : 'cover';
    image = image.resize({ width, height, fit, withoutEnlargement: true });
  }
  let format: string = meta.format ?? 'jpeg';
  if (t.format === 'webp' || t.format === 'avif') format = t.format;
  else if (t.format !== 'origin' && accept?.includes('image/webp')) format = 'webp';
  // Formats browsers cannot show come back as PNG; HEIF as AVIF.
  if (format === 'heif') format = 'avif';
  else if (!MIME[format]) format = 'png';
  const quality = t.quality ?? DEFAULT_QUALITY;
  switch (format) {
    case 'jpeg':
      image = image.jpeg({ quality, mozjpeg: true });
      break;
    case 'webp':
      image = image.webp({ quality });
      break;
    case 'avif':
      image = image.avif({ quality: Math.min(quality, 100) });
      break;
    case 'png':
      image = image.png();
      break;
    case 'gif':
      image = image.gif();
      break;
    default:
      image = image.toFormat(format as keyof FormatEnum);
  }
  try {
    return { body: await image.toBuffer(), contentType: MIME[format] ?? 'application/octet-stream' };
  } catch (err) {
    throw ERRORS.imageProcessing((err as Error).message);
  }
}

/**
 * Rendered images by object version and options, least recently used first out: stands in for
 * the CDN that caches Supabase's transformed images, so a board of thumbnails is rendered once.
 * A new upload is a new version, so nothing stale is ever served.
 */
export class RenderCache {
  private readonly entries = new Map<string, { body: Buffer; contentType: string }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string) {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: { body: Buffer; contentType: string }): void {
    if (value.body.length > this.maxBytes / 4) return;
    this.entries.set(key, value);
    this.bytes += value.body.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.body.length;
    }
  }
}
