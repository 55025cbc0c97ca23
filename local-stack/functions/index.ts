import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readCredential, type BearerRule } from '../bearer.ts';
import { statusVariables } from '../config.ts';
import type { Logger } from '../log.ts';
import { headersObject, type MountedService, type RequestContext, type ServiceContext } from '../service.ts';
import { functionsDir, loadFunctions, loadSecrets, type FunctionDef } from './config.ts';

export const PREFIX = '/functions/v1';
const WORKER_SCRIPT = fileURLToPath(new URL('./deno-worker.js', import.meta.url));
const READY_PREFIX = 'LINTEL_WORKER_LISTENING ';

/**
 * Hosted Supabase answers 504 when a function sends no response within its 150-second request
 * idle timeout (docs: troubleshooting/edge-function-takes-too-long-to-respond). Tests shorten
 * it with LINTEL_FUNCTIONS_WALL_CLOCK_SEC.
 */
const DEFAULT_WALL_CLOCK_SEC = 150;
/** First boot may download npm packages into the cache; later boots take well under a second. */
const BOOT_TIMEOUT_MS = 120_000;

// Error bodies of the CLI's edge-runtime main service (supabase/cli
// internal/functions/serve/templates/main.ts): `{code, message}` with these codes and texts.
const BOOT_ERROR = { status: 503, code: 'BOOT_ERROR', message: 'Worker failed to boot (please check logs)' };
const WORKER_ERROR = { status: 500, code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)' };
const TIMEOUT_ERROR = { status: 504, code: 'WORKER_TIMEOUT', message: 'Function did not respond within the wall clock limit' };

/** `verify_jwt` reads `Authorization` only, as the CLI's main service does. */
const EDGE_RUNTIME_BEARER: BearerRule = { scheme: 'edge-runtime', apikey: 'never' };

/** Env names the CLI keeps from functions: it refuses secrets that start with SUPABASE_. */
const RESERVED_PREFIX = 'SUPABASE_';

// Request headers that belong to one hop (RFC 9110 §7.6.1) and are not forwarded to the worker.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** Variables of the stack's own environment a worker needs to fetch npm packages. */
/** The machine's CA bundle, wherever the environment (or Debian) keeps it. */
function systemCaFile(): string | undefined {
  const candidates = [process.env.SSL_CERT_FILE, process.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt'];
  return candidates.find((f): f is string => Boolean(f && existsSync(f)));
}

const PASS_THROUGH = new Set(['HOME', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'NODE_EXTRA_CA_CERTS']);

class WorkerGone extends Error {}

interface Worker {
  def: FunctionDef;
  child: ChildProcess;
  port: Promise<number>;
  inflight: number;
  retired: boolean;
  exited: boolean;
}

function errorResponse(e: { status: number; code: string; message: string }): Response {
  return new Response(JSON.stringify({ code: e.code, message: e.message }), {
    status: e.status,
    headers: { 'content-type': 'application/json' },
  });
}

/** 401 in the CLI main service's shape: `{msg}`. */
function unauthorized(msg: string): Response {
  return new Response(JSON.stringify({ msg }), { status: 401, headers: { 'content-type': 'application/json' } });
}

/**
 * `/functions/v1/<name>/...`: each edge function runs in its own long-lived Deno process,
 * started on its first request and proxied to over loopback; a crash or timeout ends that
 * process only, and the next request starts a fresh one. Files changing under
 * `edge-functions/` retire the running processes, so the next request runs the new code.
 */
export async function startFunctions(ctx: ServiceContext): Promise<MountedService> {
  const { config, logger } = ctx;
  const dir = functionsDir(config);
  const extraDir = process.env.LINTEL_FUNCTIONS_EXTRA_DIR;
  const wallClockMs = (Number(process.env.LINTEL_FUNCTIONS_WALL_CLOCK_SEC) || DEFAULT_WALL_CLOCK_SEC) * 1000;
  const denoBin = process.env.LINTEL_DENO_BIN ?? path.join(config.projectRoot, 'node_modules', '.bin', 'deno');
  // One npm/module cache for every stack of this checkout, so a fresh test stack starts warm.
  const denoDir = process.env.DENO_DIR ?? path.join(config.projectRoot, '.lintel', 'deno-cache');
  const status = statusVariables(config);

  const discover = () => {
    const defs = loadFunctions(config);
    if (extraDir) {
      for (const def of loadFunctions(config, extraDir, {}).values()) {
        if (!defs.has(def.name)) defs.set(def.name, def);
      }
    }
    return defs;
  };
  let defs = discover();
  const workers = new Map<string, Worker>();

  const workerEnv = (): NodeJS.ProcessEnv => {
    const envFiles = [path.join(config.projectRoot, 'supabase', 'functions', '.env'), path.join(dir, '.env')];
    // Like `supabase functions serve --env-file <file>`.
    if (process.env.LINTEL_FUNCTIONS_ENV_FILE) envFiles.push(process.env.LINTEL_FUNCTIONS_ENV_FILE);
    const secrets = loadSecrets(envFiles);
    for (const name of Object.keys(secrets)) {
      if (name.startsWith(RESERVED_PREFIX)) {
        logger.warn({ name }, 'env name cannot start with SUPABASE_, skipping');
        delete secrets[name];
      }
    }
    return {
      // Where mail goes unless the secrets name a provider: the local outbox's SMTP listener.
      SMTP_HOST: status.SMTP_HOST,
      SMTP_PORT: status.SMTP_PORT,
      // Where functions send people back to after Stripe's pages: the web app, as config.toml's
      // [auth] site_url names it (hosted projects set SITE_URL as a secret).
      SITE_URL: config.auth.siteUrl,
      // The Stripe double's URL and test keys (`stack:status`), under the names Lintel's functions
      // read; a function's own .env wins, so `STRIPE_API_URL=` there reaches real Stripe instead.
      ...Object.fromEntries(Object.entries(status).filter(([name]) => name.startsWith('STRIPE_'))),
      ...secrets,
      // What a Supabase function finds in its environment (docs: guides/functions/secrets).
      SUPABASE_URL: status.API_URL,
      SUPABASE_ANON_KEY: config.keys.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: config.keys.serviceRoleKey,
      SUPABASE_DB_URL: ctx.dbUrl,
      SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: config.keys.publishableKey }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: config.keys.secretKey }),
      DENO_NO_UPDATE_CHECK: '1',
      NO_COLOR: '1',
      // Deno reads the npm registry from .npmrc in HOME or NPM_CONFIG_REGISTRY, and needs the
      // machine's CA bundle and proxy settings to reach it.
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          ([name]) => PASS_THROUGH.has(name) || /^(DENO_|NPM_CONFIG_|npm_config_registry$)/.test(name) || /_proxy$/i.test(name),
        ),
      ),
      // Deno trusts only its built-in roots unless given a CA file (DENO_CERT); our registry is
      // reached through a CA that only the system bundle holds.
      ...(process.env.DENO_CERT || !systemCaFile() ? {} : { DENO_CERT: systemCaFile() }),
      DENO_DIR: denoDir,
    };
  };

  function spawnWorker(def: FunctionDef): Worker {
    const log = logger.child({ function: def.name });
    const child = spawn(
      denoBin,
      [
        'run',
        '--no-prompt',
        '--allow-net',
        '--allow-env',
        '--allow-read',
        '--allow-sys',
        // Edge Runtime lets functions write only to /tmp.
        `--allow-write=${os.tmpdir()}`,
        // Supabase's per-function memory limit (docs: guides/functions/limits): 256 MB.
        '--v8-flags=--max-old-space-size=256',
        `--config=${def.importMap}`,
        WORKER_SCRIPT,
        pathToFileURL(def.entrypoint).href,
      ],
      { cwd: path.dirname(def.importMap), env: workerEnv(), stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const stderrTail: string[] = [];
    const worker: Worker = { def, child, port: Promise.resolve(0), inflight: 0, retired: false, exited: false };
    worker.port = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new WorkerGone(`did not start within ${BOOT_TIMEOUT_MS / 1000} s`));
        child.kill('SIGKILL');
      }, BOOT_TIMEOUT_MS);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith(READY_PREFIX)) {
          clearTimeout(timer);
          resolve(Number(line.slice(READY_PREFIX.length)));
        } else {
          log.info({ stream: 'stdout' }, line);
        }
      });
      createInterface({ input: child.stderr! }).on('line', (line) => {
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
        log.warn({ stream: 'stderr' }, line);
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new WorkerGone(`could not start Deno: ${err.message}`));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        worker.exited = true;
        if (workers.get(def.name) === worker) workers.delete(def.name);
        reject(new WorkerGone(`exited (${signal ?? code}) before serving: ${stderrTail.slice(-3).join(' | ')}`));
        log.info({ code, signal }, 'function worker exited');
      });
    });
    worker.port.catch(() => undefined);
    child.stdin!.on('error', () => undefined);
    return worker;
  }

  function workerFor(def: FunctionDef): Worker {
    let worker = workers.get(def.name);
    if (!worker || worker.exited) {
      worker = spawnWorker(def);
      workers.set(def.name, worker);
    }
    return worker;
  }

  function kill(worker: Worker) {
    if (workers.get(worker.def.name) === worker) workers.delete(worker.def.name);
    if (!worker.exited) worker.child.kill('SIGKILL');
  }

  function retire(worker: Worker) {
    worker.retired = true;
    if (workers.get(worker.def.name) === worker) workers.delete(worker.def.name);
    if (worker.inflight === 0) kill(worker);
  }

  // Reload on change: any file under edge-functions/ (a function, _shared/, deno.json) retires
  // every running worker; in-flight requests finish on the old code.
  const watchers: FSWatcher[] = [];
  let debounce: NodeJS.Timeout | undefined;
  for (const watched of extraDir ? [dir, extraDir] : [dir]) {
    try {
      const watcher = watch(watched, { recursive: true }, (_event, file) => {
        // Deno itself writes node_modules/ and deno.lock while a worker boots: not a code change.
        if (file && (file.startsWith('node_modules') || file === 'deno.lock' || file.split(path.sep).some((p) => p.startsWith('.')))) return;
        clearTimeout(debounce);
        debounce = setTimeout(() => {
          defs = discover();
          for (const worker of [...workers.values()]) retire(worker);
          logger.info({ file }, 'functions changed; they reload on their next request');
        }, 100);
      });
      watcher.on('error', (err) => logger.warn({ err: err.message, dir: watched }, 'stopped watching for function changes'));
      watchers.push(watcher);
    } catch (err) {
      logger.warn({ err, dir: watched }, 'cannot watch for changes; functions will not reload on change');
    }
  }

  /** Counts the request against the worker from the start, so a reload never kills it mid-boot. */
  async function proxy(worker: Worker, req: Request, pathAndQuery: string, requestCtx: RequestContext): Promise<Response> {
    worker.inflight += 1;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      worker.inflight -= 1;
      if (worker.retired && worker.inflight === 0) kill(worker);
    };
    let port: number;
    try {
      port = await worker.port;
    } catch (err) {
      done();
      throw err;
    }
    const headers = headersObject(requestCtx.rawHeaders);
    for (const key of HOP_BY_HOP) delete headers[key];
    delete headers.host;
    headers['x-forwarded-host'] = requestCtx.url.host;
    headers['x-request-id'] = requestCtx.requestId;
    return new Promise<Response>((resolve) => {
      const outgoing = httpRequest(
        { host: '127.0.0.1', port, method: req.method, path: pathAndQuery, headers },
        (incoming) => {
          clearTimeout(timer);
          const resHeaders = new Headers();
          for (const [key, value] of Object.entries(incoming.headers as IncomingHttpHeaders)) {
            if (value === undefined || HOP_BY_HOP.has(key)) continue;
            for (const v of Array.isArray(value) ? value : [value]) resHeaders.append(key, v);
          }
          incoming.on('end', done);
          incoming.on('close', done);
          const noBody = req.method === 'HEAD' || incoming.statusCode === 204 || incoming.statusCode === 304;
          resolve(
            new Response(noBody ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>), {
              status: incoming.statusCode ?? 500,
              headers: resHeaders,
            }),
          );
        },
      );
      const timer = setTimeout(() => {
        // A hung function is ended like Edge Runtime ends a worker past its limit; the next
        // request gets a fresh one.
        logger.warn({ function: worker.def.name, ms: wallClockMs }, 'function timed out; restarting its worker');
        outgoing.destroy();
        kill(worker);
        done();
        resolve(errorResponse(TIMEOUT_ERROR));
      }, wallClockMs);
      outgoing.on('error', (err) => {
        clearTimeout(timer);
        // The worker dropped the connection: it crashed (or is exiting). Forget it now, before
        // its exit event, so the very next request starts a fresh one.
        kill(worker);
        done();
        logger.warn({ function: worker.def.name, err: err.message }, 'function worker failed mid-request');
        resolve(errorResponse(WORKER_ERROR));
      });
      if (req.body && req.method !== 'GET' && req.method !== 'HEAD') {
        Readable.fromWeb(req.body as never).pipe(outgoing);
      } else {
        outgoing.end();
      }
    });
  }

  return {
    name: 'functions',
    prefix: PREFIX,
    // Functions answer their own CORS preflight on Supabase (the `_shared/cors.ts` pattern).
    gatewayCors: false,
    async fetch(req: Request, requestCtx: RequestContext): Promise<Response> {
      const { url } = requestCtx;
      const rest = url.pathname.slice(PREFIX.length);
      const name = rest.split('/')[1] ?? '';
      const def = defs.get(name);
      // The CLI main service answers an unknown function with plain text.
      if (!def) return new Response('Function not found', { status: 404, headers: { 'content-type': 'text/plain' } });
      requestCtx.log.function = name;

      if (def.verifyJwt && req.method !== 'OPTIONS') {
        const cred = readCredential(req.headers.get('authorization'), null, EDGE_RUNTIME_BEARER);
        if (cred.from === 'none') {
          return unauthorized(cred.authorization === 'absent' ? 'Error: Missing authorization header' : "Error: Auth header is not 'Bearer {token}'");
        }
        try {
          const claims = await ctx.verifyJwt(cred.token);
          requestCtx.log.role = claims.role;
          requestCtx.log.user = claims.sub;
        } catch {
          // Opaque sb_publishable_/sb_secret_ keys are not JWTs and fail here too, as on Supabase:
          // functions called with them need verify_jwt = false.
          return unauthorized('Invalid JWT');
        }
      }

      const worker = workerFor(def);
      try {
        return await proxy(worker, req, `${rest}${url.search}`, requestCtx);
      } catch (err) {
        logger.error({ function: name, err: (err as Error).message }, 'function failed to boot');
        kill(worker);
        return errorResponse(BOOT_ERROR);
      }
    },
    async stop() {
      clearTimeout(debounce);
      for (const watcher of watchers) watcher.close();
      const running = [...workers.values()];
      workers.clear();
      await Promise.all(
        running.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.exited) return resolve();
              w.child.once('exit', () => resolve());
              w.child.kill('SIGTERM');
              setTimeout(() => w.child.kill('SIGKILL'), 2000).unref();
            }),
        ),
      );
    },
  };
}
