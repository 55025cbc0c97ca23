import { createHmac } from 'node:crypto';

/**
 * The Supabase CLI's local defaults (`supabase status`), so docs, tools and snippets written
 * for `supabase start` work unchanged against the local stack. They sign nothing real: every
 * developer machine in the world has the same values.
 */
export const DEFAULT_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

/** HS256 JWTs `{iss:'supabase-demo', role, exp:1983812996}` signed with DEFAULT_JWT_SECRET. */
export const DEFAULT_ANON_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
export const DEFAULT_SERVICE_ROLE_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU';

/** The CLI's opaque API keys (not JWTs): supabase-js sends them only as `apikey`. */
export const DEFAULT_PUBLISHABLE_KEY = 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH';
export const DEFAULT_SECRET_KEY = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';

/**
 * The CLI's demo API key for `role`, signed with `secret` (the CLI signs its keys with the
 * project's JWT secret, so a custom `[auth] jwt_secret` gets matching keys). With the default
 * secret this reproduces DEFAULT_ANON_KEY / DEFAULT_SERVICE_ROLE_KEY byte for byte.
 */
export function demoApiKey(secret: string, role: 'anon' | 'service_role'): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: 'supabase-demo', role, exp: 1983812996 })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
