import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { portTaken } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MountedService, RequestContext } from '../service.ts';

// Kong's `cors` plugin with its defaults, as Supabase's gateway configures it for auth, rest,
// realtime and storage: any origin, the plugin's default method list, the requested headers
// echoed back, no credentials.
const CORS_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface GatewayOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Extra fields for `GET /health` (e.g. the database check). */
  health?: () => Promise<Record<string, unknown>>;
}

export interface Gateway {
  url: string;
  mount(service: MountedService): void;
  stop(): Promise<void>;
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/** The HTTP front door on :54321 with Supabase's URL layout; services mount under prefixes. */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const services: MountedService[] = [];
  const find = (pathname: string) =>
    services.find((s) => pathname === s.prefix || pathname.startsWith(`${s.prefix}/`));

  const listener = getRequestListener(
    async (req: Request, env) => {
      const started = performance.now();
      const url = new URL(req.url);
      // createServer from node:http: HTTP/1 bindings.
      const { incoming, outgoing } = env as HttpBindings;
      // A caller's id is kept for tracing only when it is short and plain: it reaches logs,
      // Postgres (request.headers) and audit rows.
      const given = req.headers.get('x-request-id');
      const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
      const ctx: RequestContext = { requestId, log: {}, url, rawHeaders: incoming.rawHeaders };
      // Headers the gateway adds go on the outgoing message before the service's response is
      // written: Node merges them with the response's own, the response's winning (a service
      // that answers its own CORS keeps it). Setting them on the Response instead turned every
      // service's plain header object into a fetch Headers, a cost on every request.
      const cors = () => outgoing.setHeader('access-control-allow-origin', '*');
      outgoing.setHeader('x-request-id', requestId);
      const service = find(url.pathname);
      let res: Response;
      try {
        if (url.pathname === '/health' || url.pathname === '/health/') {
          res = json({ status: 'ok', services: services.map((s) => s.name), ...(await opts.health?.()) });
        } else if (!service) {
          res = json({ message: 'no Route matched with those values' }, 404);
        } else if (req.method === 'OPTIONS' && service.gatewayCors !== false && req.headers.has('access-control-request-method')) {
          res = new Response(null, {
            status: 200,
            headers: {
              'access-control-allow-origin': '*',
              'access-control-allow-methods': CORS_METHODS,
              'access-control-allow-headers': req.headers.get('access-control-request-headers') ?? '',
              'content-length': '0',
            },
          });
        } else {
          if (service.gatewayCors !== false) cors();
          res = await service.fetch(req, ctx);
        }
      } catch (err) {
        opts.logger.error({ err, requestId, path: url.pathname }, 'unhandled error in service');
        res = json({ message: 'An unexpected error occurred', request_id: requestId }, 500);
        // A browser must see the 500, not a CORS failure.
        if (service?.gatewayCors !== false) cors();
      }
      opts.logger.info(
        {
          requestId,
          method: req.method,
          route: url.pathname,
          service: service?.name,
          status: res.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          ...ctx.log,
        },
        'request',
      );
      return res;
    },
    { overrideGlobalObjects: false },
  );

  const server: Server = createServer(listener);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket, head) => {
    const pathname = new URL(req.url ?? '/', 'http://gateway').pathname;
    const service = find(pathname);
    if (!service?.upgrade) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    service.upgrade(req, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? portTaken(opts.port, 'the API gateway') : err);
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  return {
    url: `http://${opts.host}:${opts.port}`,
    mount(service) {
      services.push(service);
      services.sort((a, b) => b.prefix.length - a.prefix.length);
    },
    async stop() {
      await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
