import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../local-stack/demo.ts';
import { anonClient, stack } from '../setup/clients.ts';

// The shipped functions over HTTP, called as the app calls them: supabase-js
// functions.invoke() with a session from /auth/v1, so the token carries the hook's claims.

async function signedIn(email: string) {
  const client = anonClient();
  const { error } = await client.auth.signInWithPassword({ email, password: DEMO_PASSWORD });
  if (error) throw error;
  return client;
}

describe('whoami', () => {
  it('answers a manager with the org claims the access token hook put in their token', async () => {
    const client = await signedIn('manager@acme.test');
    const { data, error } = await client.functions.invoke('whoami', { method: 'GET' });
    expect(error).toBeNull();
    expect(data).toMatchObject({ role: 'authenticated', email: 'manager@acme.test', org_role: 'manager', resident_id: null });
    expect(data.org_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('tells a resident apart by resident_id, and two orgs apart by org_id', async () => {
    const resident = await (await signedIn('resident@acme.test')).functions.invoke('whoami', { method: 'GET' });
    const other = await (await signedIn('manager@birch.test')).functions.invoke('whoami', { method: 'GET' });
    expect(resident.data).toMatchObject({ org_role: 'resident' });
    expect(resident.data.resident_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(other.data.org_id).not.toBe(resident.data.org_id);
  });

  it('refuses a call without a user or anon JWT, before the function runs', async () => {
    const res = await fetch(`${stack().API_URL}/functions/v1/whoami`);
    expect(res.status).toBe(401);
    const forged = await fetch(`${stack().API_URL}/functions/v1/whoami`, {
      headers: { Authorization: 'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.' },
    });
    expect(forged.status).toBe(401);
  });

  it('answers other methods 405 in the shared error shape', async () => {
    const client = await signedIn('viewer@acme.test');
    const { data: session } = await client.auth.getSession();
    const res = await fetch(`${stack().API_URL}/functions/v1/whoami`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${session.session!.access_token}` },
    });
    expect(res.status).toBe(405);
    expect(await res.json()).toEqual({ error: { code: 'method_not_allowed', message: 'Use GET or POST.' } });
  });
});

describe('health', () => {
  it('needs no JWT and is never cached', async () => {
    const res = await fetch(`${stack().API_URL}/functions/v1/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ status: 'ok', runtime: expect.stringMatching(/^deno \d+\.\d+/) });
  });
});
