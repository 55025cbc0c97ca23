import type { StackConfig } from './config.ts';
import type { createJwtVerifier } from './jwt.ts';
import type { Logger } from './log.ts';
import type { MailHandle } from './mail/index.ts';
import type { MountedService } from './service.ts';

/** What every service factory receives: the one config, the one token check, the database. */
export interface ServiceContext {
  config: StackConfig;
  dbUrl: string;
  logger: Logger;
  mail: MailHandle;
  verifyJwt: ReturnType<typeof createJwtVerifier>;
}

export type ServiceFactory = (ctx: ServiceContext) => Promise<MountedService>;

/**
 * The services the gateway mounts, in start order. Each lives in its own folder and is added
 * here with one line; services never import one another.
 */
export const SERVICES: { name: string; start: () => Promise<ServiceFactory> }[] = [
  { name: 'rest', start: async () => (await import('./rest/index.ts')).startRest },
  { name: 'auth', start: async () => (await import('./auth/index.ts')).startAuth },
  { name: 'functions', start: async () => (await import('./functions/index.ts')).startFunctions },
  { name: 'storage', start: async () => (await import('./storage/index.ts')).startStorage },
  { name: 'realtime', start: async () => (await import('./realtime/index.ts')).startRealtime },
];
