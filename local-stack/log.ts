import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';

/**
 * One JSON line per event (requests carry org, user, role, route, status and duration). With a
 * file, the terminal stays readable and the lines land in `<state>/logs/stack.log`.
 */
export function createLogger(name: string, opts: { file?: string; level?: string } = {}) {
  const level = opts.level ?? process.env.LINTEL_LOG_LEVEL ?? 'info';
  let destination: pino.DestinationStream | undefined;
  if (opts.file) {
    mkdirSync(path.dirname(opts.file), { recursive: true });
    // The file is opened here, synchronously, so a start that fails at once cannot exit before
    // the asynchronous writer is ready; writes stay off the request path. Lines are written in
    // batches of about 4 KiB, and at least every 250 ms: each write is a round trip to libuv's
    // thread pool, and with one write per request line that cost ~18 µs of CPU per API request
    // under load. On exit pino writes what is buffered synchronously.
    destination = pino.destination({ fd: openSync(opts.file, 'a'), sync: false, minLength: 4096, periodicFlush: 250 });
  }
  return pino({ name, level, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

export type Logger = pino.Logger;
