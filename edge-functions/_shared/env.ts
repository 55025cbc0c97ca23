import { HttpError } from './errors.ts';

/** A variable the platform or `supabase secrets set` must provide; missing is a deploy error. */
export function requireEnv(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new HttpError(500, 'missing_configuration', `The function is missing the ${name} setting.`);
  return value;
}
