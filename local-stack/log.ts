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
    // the asynchronous writer is ready; writes stay off the request path.
    destination = pino.destination({ fd: openSync(opts.file, 'a'), sync: false });
  }
  return pino({ name, level, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

export type Logger = pino.Logger;
