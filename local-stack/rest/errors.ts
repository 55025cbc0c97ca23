// PostgREST's error body `{code, message, details, hint}` and its status mapping
// (PostgREST src/library/PostgREST/Error.hs: ErrorBody, pgErrorStatus / mapSQLtoHTTP).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
    readonly hint: unknown = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { code: this.code, details: this.details, hint: this.hint, message: this.message };
  }
}

/** SQLSTATE → HTTP as PostgREST's mapSQLtoHTTP; `authed` = the request carried a user JWT. */
export function pgStatus(code: string, message: string, authed: boolean): number {
  const c = code ?? '';
  if (c.startsWith('08')) return 503;
  if (c.startsWith('09')) return 500;
  if (c.startsWith('0L') || c.startsWith('0P')) return 403;
  if (c === '23503' || c === '23505') return 409;
  if (c === '25006') return 405;
  if (c === '21000') return message.endsWith('requires a WHERE clause') ? 400 : 500;
  if (c === '22023') return message.startsWith('role') && message.endsWith('does not exist') ? 401 : 400;
  if (c.startsWith('25') || c.startsWith('2D') || c.startsWith('38') || c.startsWith('39') || c.startsWith('3B') || c.startsWith('40')) return 500;
  if (c.startsWith('28')) return 403;
  if (c === '53400') return 500;
  if (c.startsWith('53')) return 503;
  if (c.startsWith('54') || c.startsWith('55')) return 500;
  if (c === '57P01') return 503;
  if (c.startsWith('57') || c.startsWith('58') || c.startsWith('F0') || c.startsWith('HV')) return 500;
  if (c === 'P0001') return 400;
  if (c.startsWith('P0') || c.startsWith('XX')) return 500;
  if (c === '42883') return message.startsWith('function xmlagg(') ? 406 : 404;
  if (c === '42P01') return 404;
  if (c === '42P17') return 500;
  if (c === '42501') return authed ? 403 : 401;
  if (/^PT\d{3}$/.test(c)) return Number(c.slice(2));
  return 400;
}

interface PgLikeError {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** A Postgres error as PostgREST answers it, including `raise sqlstate 'PGRST'` full control. */
export function fromPg(err: PgLikeError, authed: boolean): ApiError {
  const code = err.code ?? 'XX000';
  if (code === 'PGRST') {
    try {
      const m = JSON.parse(err.message) as Record<string, unknown>;
      if (typeof m.code !== 'string' || typeof m.message !== 'string') throw new Error('bad message');
      let d: Record<string, unknown>;
      try {
        d = JSON.parse(err.detail ?? '') as Record<string, unknown>;
      } catch {
        return new ApiError(500, 'PGRST121', 'Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error',
          err.detail === undefined ? 'DETAIL is missing in the RAISE statement' : `Invalid JSON value for DETAIL: '${err.detail}'`,
          "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.");
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries((d.headers as Record<string, unknown>) ?? {})) headers[k] = String(v);
      return new ApiError(Number(d.status) || 500, m.code, m.message, m.details ?? null, m.hint ?? null, headers);
    } catch {
      return new ApiError(500, 'PGRST121', 'Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error',
        `Invalid JSON value for MESSAGE: '${err.message}'`,
        "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.");
    }
  }
  const status = pgStatus(code, err.message, authed);
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  return new ApiError(status, code, err.message, err.detail ?? null, err.hint ?? null, headers);
}

export const columnNotFound = (rel: string, col: string) =>
  new ApiError(400, 'PGRST204', `Could not find the '${col}' column of '${rel}' in the schema cache`);

/** PostgREST 12+ reports an unknown column in select/filters as Postgres would: 42703. */
export const undefinedColumn = (table: string, col: string) =>
  new ApiError(400, '42703', `column ${table}.${col} does not exist`);
