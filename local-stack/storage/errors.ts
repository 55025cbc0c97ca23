/**
 * Storage's error shape and the errors the local service raises, as supabase/storage renders
 * them (src/internal/errors/codes.ts, storage-error.ts, http/error-handler.ts): the body carries
 * the semantic status as a string (`statusCode: "404"`), `code`, `error` and `message`, while the
 * HTTP status is 400 for every client error and 500 for server errors. storage-js reads
 * `statusCode` and `code` from the body, so both must match.
 */
export class StorageError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** The legacy `error` field; upstream falls back to `code`. */
    readonly error: string = code,
    /** HTTP status; upstream sends 400 unless the error is a 500 or says otherwise. */
    readonly httpStatus: number = statusCode >= 500 ? 500 : 400,
  ) {
    super(message);
  }

  body() {
    return { statusCode: String(this.statusCode), code: this.code, error: this.error, message: this.message };
  }
}

export const ERRORS = {
  noSuchBucket: () => new StorageError(404, 'NoSuchBucket', 'Bucket not found', 'Bucket not found'),
  noSuchKey: () => new StorageError(404, 'NoSuchKey', 'Object not found', 'not_found'),
  /** The renderer's answer when the stored bytes are missing (Renderer.render). */
  assetNotFound: () => new StorageError(404, 'NoSuchKey', 'The resource was not found', 'Not found'),
  invalidKey: (key: string) => new StorageError(400, 'InvalidKey', `Invalid key: ${key}`),
  invalidBucketName: () => new StorageError(400, 'InvalidBucketName', 'Bucket name invalid', 'Invalid Input'),
  invalidRequest: (message: string) => new StorageError(400, 'InvalidRequest', message),
  invalidParameter: (name: string, message?: string) =>
    new StorageError(400, 'InvalidParameter', message ?? `Invalid Parameter ${name}`),
  /** Token missing or not verifiable: jwt plugin → ERRORS.AccessDenied(err.message). */
  accessDenied: (message = 'Access denied', httpStatus?: number) =>
    new StorageError(403, 'AccessDenied', message, 'Unauthorized', httpStatus),
  /** An RLS violation (42501) as upstream's DatabaseError mapping renders it. */
  rlsViolation: () =>
    new StorageError(403, 'AccessDenied', 'new row violates row-level security policy', 'Unauthorized'),
  invalidJwt: (message = 'Invalid JWT') => new StorageError(400, 'InvalidJWT', message),
  invalidSignature: (message = 'Invalid signature') => new StorageError(400, 'InvalidSignature', message),
  expiredSignature: () => new StorageError(400, 'ExpiredToken', 'The provided token has expired.'),
  keyAlreadyExists: () => new StorageError(409, 'KeyAlreadyExists', 'The resource already exists', 'Duplicate'),
  bucketAlreadyExists: () =>
    new StorageError(409, 'BucketAlreadyExists', 'The resource already exists', 'Duplicate'),
  bucketNotEmpty: () => new StorageError(409, 'ResourceNotEmpty', 'The bucket you tried to delete is not empty'),
  entityTooLarge: () =>
    new StorageError(413, 'EntityTooLarge', 'The object exceeded the maximum allowed size', 'Payload too large'),
  invalidMimeType: (mime: string) =>
    new StorageError(415, 'InvalidMimeType', `mime type ${mime} is not supported`, 'invalid_mime_type'),
  invalidFileSizeLimit: () =>
    new StorageError(400, 'InvalidRequest', 'Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B'),
  noContentProvided: (message = 'No content provided') => new StorageError(400, 'InvalidRequest', message),
  invalidRange: () => new StorageError(400, 'InvalidRange', 'invalid range provided', 'invalid_range'),
  imageProcessing: (message: string) => new StorageError(400, 'InvalidRequest', message),
  internal: (message = 'Internal server error') => new StorageError(500, 'InternalError', message),
};

/** Postgres errors that reach the API, mapped as upstream's database-error mapping does. */
export function fromDatabaseError(err: unknown): StorageError | undefined {
  const e = err as { code?: string; message?: string; constraint?: string };
  switch (e?.code) {
    case '42501':
      return e.message?.includes('row-level security')
        ? ERRORS.rlsViolation()
        : new StorageError(403, 'AccessDenied', e.message ?? 'Access denied', 'Unauthorized');
    case '23505':
      return new StorageError(409, 'ResourceAlreadyExists', 'The resource already exists', 'Duplicate');
    case '23503':
      return new StorageError(404, 'InvalidRequest', 'The related resource does not exist');
    case '22P02':
    case '22023':
      return ERRORS.invalidRequest(e.message ?? 'Invalid input');
    default:
      return undefined;
  }
}
