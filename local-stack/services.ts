import type { ServiceFactory } from './service.ts';

// Kept importable from here for callers written before the types moved to service.ts (which
// every service imports without importing this list of them).
export type { ServiceContext, ServiceFactory } from './service.ts';

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
