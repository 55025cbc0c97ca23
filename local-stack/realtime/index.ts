import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import { WebSocketServer } from 'ws';
import { opaqueKeyAsJwt, readCredential, type BearerRule } from '../bearer.ts';
import { headersObject, type MountedService, type ServiceContext } from '../service.ts';
import { writeGrants } from './authorization.ts';
import { startFeed } from './feed.ts';
import { Conn, Hub, MAX_PAYLOAD_BYTES } from './hub.ts';
import { ChangeRouter } from './postgres-changes.ts';
import type { Outbound, Vsn } from './protocol.ts';
import { confirmToken, type Claims } from './token.ts';

const PREFIX = '/realtime/v1';
const WEBSOCKET_PATHS = new Set([`${PREFIX}/websocket`, `${PREFIX}/websocket/`]);
/** realtime-js posts batches here and single messages to `/api/broadcast/:topic/events/:event`. */
const BROADCAST_BATCH = `${PREFIX}/api/broadcast`;
const BROADCAST_SINGLE = new RegExp(`^${PREFIX}/api/broadcast/([^/]+)/events/([^/]+)$`);
const MESSAGE_SWEEP_MS = 60 * 60_000;
/** The bearer token unless it is an opaque key, else `apikey` (the CLI's Kong expression for Realtime). */
const REALTIME_BEARER: BearerRule = { scheme: 'kong', apikey: 'without-jwt-bearer' };

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}

/** A refused handshake, with the status and text of upstream's `UserSocket.error_response/1`. */
function httpError(status: number, message: string) {
  const reason = status === 401 ? 'Unauthorized' : 'Error';
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(message)}\r\nconnection: close\r\n\r\n${message}`;
}

/** Starts the Realtime service: Phoenix-channel websocket, REST broadcast and the database feed. */
export async function startRealtime(ctx: ServiceContext): Promise<MountedService> {
  const logger = ctx.logger;
  const pool = new pg.Pool({ connectionString: ctx.dbUrl, max: 6, application_name: 'lintel realtime' });
  pool.on('error', () => undefined);
  const hub = new Hub(pool, ctx.verifyJwt, logger);
  const router = new ChangeRouter(hub, pool, logger);
  hub.pg = router;
  const feed = await startFeed({
    dbUrl: ctx.dbUrl,
    slot: `lintel_realtime_${ctx.config.ports.api}`,
    logger,
    onTransaction: (tx) => router.onTransaction(tx),
    wants: (schema, table) => router.wants(schema, table),
  }).catch((err: Error) => {
    // Without wal_level=logical (some DB_URL databases) only database broadcasts are missing.
    logger.warn({ err: err.message }, 'realtime cannot read database changes; broadcasts from the database are off');
    return undefined;
  });

  // Upstream's Janitor drops realtime.messages partitions older than three days; the local
  // table has one default partition, so old rows are deleted instead, at start and hourly.
  const sweep = () =>
    pool
      .query(`delete from realtime.messages where inserted_at < now() - interval '3 days'`)
      .catch((err: Error) => logger.debug({ err: err.message }, 'realtime message cleanup skipped'));
  void sweep();
  const janitor = setInterval(sweep, MESSAGE_SWEEP_MS);
  janitor.unref();

  const wss = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 });

  // Opaque API keys reach Realtime as the JWT they stand for, as the CLI's Kong swaps them.
  const asJwt = (key: string) => opaqueKeyAsJwt(key, ctx.config.keys);

  /** Claims of a REST caller: the bearer token, else the apikey (upstream `secure_tenant_api`). */
  const restClaims = async (req: Request): Promise<Claims | Response> => {
    const cred = readCredential(req.headers.get('authorization'), req.headers.get('apikey'), REALTIME_BEARER);
    const token = cred.from === 'none' ? '' : asJwt(cred.token);
    try {
      return await confirmToken(ctx.verifyJwt, token);
    } catch {
      return json({ message: 'Unauthorized' }, 401);
    }
  };

  const canSendPrivate = async (claims: Claims, topic: string, headers: Record<string, string>) => {
    try {
      const grants = await writeGrants(
        pool,
        { topic, claims, role: String(claims.role), sub: typeof claims.sub === 'string' ? claims.sub : undefined, headers },
        ['broadcast'],
      );
      return grants.broadcast === true;
    } catch {
      return false;
    }
  };

  return {
    name: 'realtime',
    prefix: PREFIX,
    async fetch(req, rctx) {
      const { url } = rctx;
      if (req.method !== 'POST') return json({ message: 'Not Found' }, 404);
      const claims = await restClaims(req);
      if (claims instanceof Response) return claims;
      const headers = headersObject(rctx.rawHeaders);
      if (url.pathname === BROADCAST_BATCH) {
        const body = (await req.json().catch(() => undefined)) as { messages?: any[] } | undefined;
        if (!body || !Array.isArray(body.messages)) return json({ errors: { messages: ["can't be blank"] } }, 422);
        for (const m of body.messages) {
          if (typeof m?.topic !== 'string' || typeof m?.event !== 'string') continue;
          const isPrivate = m.private === true;
          // Batch sends skip private messages the caller may not write, answering 202 anyway.
          if (isPrivate && !(await canSendPrivate(claims, m.topic, headers))) continue;
          const out: Outbound = { kind: 'json', topic: `realtime:${m.topic}`, event: 'broadcast', payload: { type: 'broadcast', event: m.event, payload: m.payload ?? {} } };
          hub.deliver(`${isPrivate ? 'private' : 'public'}:${m.topic}`, out);
        }
        return new Response(null, { status: 202 });
      }
      const single = BROADCAST_SINGLE.exec(url.pathname);
      if (single) {
        const topic = decodeURIComponent(single[1]!);
        const event = decodeURIComponent(single[2]!);
        const isPrivate = url.searchParams.get('private') === 'true';
        const binary = (req.headers.get('content-type') ?? '').startsWith('application/octet-stream');
        const body = Buffer.from(await req.arrayBuffer());
        if (body.length > MAX_PAYLOAD_BYTES) return json({ message: 'Payload size exceeded' }, 422);
        if (!binary) {
          try {
            JSON.parse(body.toString('utf8'));
          } catch {
            return json({ message: 'Invalid JSON payload' }, 422);
          }
        }
        if (isPrivate && !(await canSendPrivate(claims, topic, headers))) return json({ message: 'Unauthorized' }, 403);
        hub.deliver(`${isPrivate ? 'private' : 'public'}:${topic}`, {
          kind: 'user',
          topic: `realtime:${topic}`,
          event,
          encoding: binary ? 'binary' : 'json',
          body,
        });
        return new Response(null, { status: 202 });
      }
      return json({ message: 'Not Found' }, 404);
    },
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      const url = new URL(req.url ?? '/', 'http://realtime');
      if (!WEBSOCKET_PATHS.has(url.pathname)) {
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
        return;
      }
      const vsn: Vsn = url.searchParams.get('vsn') === '2.0.0' ? '2.0.0' : '1.0.0';
      const header = req.headers['x-api-key'];
      const apikey = asJwt((typeof header === 'string' ? header : url.searchParams.get('apikey')) ?? '');
      if (!apikey) {
        socket.end(httpError(401, 'API key is missing'));
        return;
      }
      // Upstream's UserSocket.connect refuses the handshake when the API key is not a valid token.
      confirmToken(ctx.verifyJwt, apikey).then(
        () =>
          wss.handleUpgrade(req, socket, head, (ws) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
            hub.conns.add(new Conn(hub, ws, vsn, apikey, headers));
          }),
        (err: Error) => socket.end(httpError(401, err.message)),
      );
    },
    async stop() {
      clearInterval(janitor);
      hub.close();
      wss.close();
      await feed?.stop();
      await pool.end().catch(() => undefined);
    },
  };
}
