import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { StackConfig } from './config.ts';
import type { createJwtVerifier } from './jwt.ts';
import type { Logger } from './log.ts';
import type { MailHandle } from './mail/index.ts';

/** What every service factory receives: the one config, the one token check, the database. */
export interface ServiceContext {
  config: StackConfig;
  dbUrl: string;
  logger: Logger;
  mail: MailHandle;
  verifyJwt: ReturnType<typeof createJwtVerifier>;
}

/** Starts one service from the stack's shared context. */
export type ServiceFactory = (ctx: ServiceContext) => Promise<MountedService>;

/** What a request handler learns from the gateway besides the request itself. */
export interface RequestContext {
  /** Carried to Postgres (`request.headers`) and onto audit rows. */
  requestId: string;
  /** Filled in by the service for the request log (org, user, role). */
  log: Record<string, unknown>;
  /** The request URL, parsed once by the gateway. */
  url: URL;
  /**
   * The headers as received (Node's `rawHeaders`: name, value, name, value, ...), for a service
   * that needs all of them: walking these is far cheaper than materializing `req.headers`.
   */
  rawHeaders: readonly string[];
}

/**
 * A local-stack service mounted under a Supabase URL prefix. Each service is started from
 * the config and returns one of these; the gateway only routes to it.
 */
export interface MountedService {
  name: string;
  /** e.g. `/rest/v1`; the request URL keeps the full path. */
  prefix: string;
  fetch(req: Request, ctx: RequestContext): Response | Promise<Response>;
  /** Websocket upgrades under the prefix (Realtime). */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Whether the gateway answers CORS for this route as Supabase's Kong does. Functions
   * answer their own preflight on Supabase, so they set this to false.
   */
  gatewayCors?: boolean;
  stop(): Promise<void>;
}

/** Anything with a `stop()`: every started piece of the stack returns one. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * A request's headers as one object, as `Object.fromEntries(req.headers)` gives them: names
 * lower-cased, a repeated header's values joined as fetch's Headers joins them (`, `; `; ` for
 * cookie). Built from the raw list: materializing a Headers (validated, sorted) to walk it cost
 * more than the rest of the walk.
 */
export function headersObject(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.startsWith(':')) continue;
    const value = raw[i + 1]!.trim();
    const had = out[name];
    out[name] = had === undefined || name === 'set-cookie' ? value : `${had}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}
