import { readFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startTestStack } from './test-stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: Record<string, string>;
  }
}

/**
 * Gives every test file the running test stack's variables (`inject('stack')`). `npm test`
 * starts one stack for all layers and passes it in LINTEL_TEST_STACK; a layer run on its own
 * starts and stops its own. LINTEL_TEST_PG=15 runs the layer on Debian's PostgreSQL 15.
 */
export default async function setup(project: TestProject) {
  if (process.env.SUPABASE_URL) {
    // Fidelity check: the same files against a real Supabase (e.g. `supabase start`).
    const env = process.env;
    project.provide('stack', {
      API_URL: env.SUPABASE_URL!,
      ANON_KEY: env.SUPABASE_ANON_KEY ?? '',
      SERVICE_ROLE_KEY: env.SUPABASE_SERVICE_ROLE_KEY ?? '',
      JWT_SECRET: env.SUPABASE_JWT_SECRET ?? '',
      DB_URL: env.SUPABASE_DB_URL ?? '',
      MAIL_URL: env.SUPABASE_MAIL_URL ?? '',
      REAL_SUPABASE: 'true',
    });
    return;
  }
  const shared = process.env.LINTEL_TEST_STACK;
  if (shared) {
    project.provide('stack', JSON.parse(readFileSync(shared, 'utf8')) as Record<string, string>);
    return;
  }
  const stack = await startTestStack({ pg: process.env.LINTEL_TEST_PG === '15' ? '15' : 'embedded' });
  project.provide('stack', stack.status);
  return () => stack.stop();
}
