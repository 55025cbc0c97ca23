import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createClient, FunctionsHttpError, type SupabaseClient } from '@supabase/supabase-js';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PROJECT_ROOT } from '../../local-stack/config.ts';
import { signHs256 } from '../../local-stack/jwt.ts';
import { anonClient, serviceClient, stack } from '../setup/clients.ts';

const NO_PERSIST = {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  realtime: { transport: WebSocket as never },
};

/** supabase-js as a signed-in user whose access token carries the given claims. */
async function userClient(claims: Record<string, unknown>): Promise<SupabaseClient> {
  const s = stack();
  const token = await signHs256(s.JWT_SECRET!, { aud: 'authenticated', role: 'authenticated', ...claims }, 600);
  return createClient(s.API_URL!, s.ANON_KEY!, { ...NO_PERSIST, global: { headers: { Authorization: `Bearer ${token}` } } });
}

async function errorBody(error: unknown): Promise<{ status: number; body: unknown }> {
  expect(error).toBeInstanceOf(FunctionsHttpError);
  const res = (error as FunctionsHttpError).context as Response;
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain-text bodies stay text
  }
  return { status: res.status, body };
}

describe('/functions/v1 runtime', () => {
  it('gives a function the caller’s verified claims', async () => {
    const user = await userClient({ sub: 'b7c5a0a4-4a64-4c43-9d8a-0c7f1d1e2f30', email: 'mara@acme.test', org_id: 'org-acme', org_role: 'manager' });
    const { data, error } = await user.functions.invoke('whoami', { method: 'GET' });
    expect(error).toBeNull();
    expect(data).toMatchObject({
      role: 'authenticated',
      user_id: 'b7c5a0a4-4a64-4c43-9d8a-0c7f1d1e2f30',
      email: 'mara@acme.test',
      org_id: 'org-acme',
      org_role: 'manager',
    });
  });

  it('refuses a verify_jwt function without a valid JWT, as the Supabase runtime does', async () => {
    const s = stack();
    const missing = await fetch(`${s.API_URL}/functions/v1/whoami`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ msg: 'Error: Missing authorization header' });

    const forged = await signHs256('not-the-project-secret-but-32-chars-long!!', { role: 'service_role' }, 600);
    const { error } = await createClient(s.API_URL!, s.ANON_KEY!, {
      ...NO_PERSIST,
      global: { headers: { Authorization: `Bearer ${forged}` } },
    }).functions.invoke('whoami');
    expect(await errorBody(error)).toEqual({ status: 401, body: { msg: 'Invalid JWT' } });

    const expired = await signHs256(s.JWT_SECRET!, { role: 'authenticated', sub: 'x', exp: Math.floor(Date.now() / 1000) - 60 });
    const res = await fetch(`${s.API_URL}/functions/v1/whoami`, { headers: { Authorization: `Bearer ${expired}` } });
    expect(res.status).toBe(401);

    // The new opaque keys are not JWTs: Supabase asks for verify_jwt = false for such callers.
    const opaque = await fetch(`${s.API_URL}/functions/v1/whoami`, {
      headers: { apikey: s.PUBLISHABLE_KEY!, Authorization: `Bearer ${s.PUBLISHABLE_KEY}` },
    });
    expect(opaque.status).toBe(401);
  });

  it('runs a verify_jwt = false function for a caller without a token', async () => {
    const res = await fetch(`${stack().API_URL}/functions/v1/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', runtime: expect.stringMatching(/^deno 2\./) });
  });

  it('answers an unknown function 404 like the Supabase runtime', async () => {
    const { error } = await serviceClient().functions.invoke('no-such-function');
    expect(await errorBody(error)).toEqual({ status: 404, body: 'Function not found' });
  });

  it('gives functions the Supabase environment plus the env file’s secrets, and nothing of the host', async () => {
    const s = stack();
    const { data, error } = await serviceClient().functions.invoke('probe/env', { method: 'GET' });
    expect(error).toBeNull();
    expect(data).toMatchObject({
      SUPABASE_URL: s.API_URL,
      SUPABASE_ANON_KEY: s.ANON_KEY,
      SUPABASE_SERVICE_ROLE_KEY: s.SERVICE_ROLE_KEY,
      SUPABASE_DB_URL: s.DB_URL,
      LINTEL_TEST_SECRET: 'from the env file',
      LINTEL_TEST_PLAIN: 'plain-value',
      HOST_ENV_VISIBLE: false,
    });
  });

  it('reloads a function when its files change', async () => {
    const name = `reload-${process.pid}-${Date.now()}`;
    const folder = path.join(PROJECT_ROOT, 'tests', 'stack', 'fixtures', 'functions', name);
    const write = (version: number) =>
      writeFileSync(path.join(folder, 'index.ts'), `Deno.serve(() => Response.json({ version: ${version} }));\n`);
    const client = serviceClient();
    const invokeUntil = async (version: number) => {
      const end = Date.now() + 10_000;
      for (;;) {
        const { data } = await client.functions.invoke<{ version: number }>(name, { method: 'GET' });
        if (data?.version === version || Date.now() > end) return data?.version;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    mkdirSync(folder, { recursive: true });
    try {
      write(1);
      // A new folder is a new function, found without restarting the stack.
      expect(await invokeUntil(1)).toBe(1);
      write(2);
      expect(await invokeUntil(2)).toBe(2);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('passes method, sub-path, query, headers and body through to the function', async () => {
    const { data, error } = await anonClient().functions.invoke('probe/echo/deeper?unit=12B', {
      method: 'PUT',
      headers: { 'x-lintel-trace': 'abc' },
      body: { rent: 125000 },
    });
    expect(error).toBeNull();
    expect(data).toMatchObject({
      method: 'PUT',
      path: '/probe/echo/deeper',
      query: { unit: '12B' },
      headers: { 'x-lintel-trace': 'abc', 'content-type': 'application/json' },
      body: JSON.stringify({ rent: 125000 }),
    });
  });

  it('lets functions answer their own CORS preflight without a JWT', async () => {
    const res = await fetch(`${stack().API_URL}/functions/v1/whoami`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, x-client-info, apikey, content-type' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toContain('x-client-info');
  });

  it('streams a response body as the function writes it', async () => {
    const res = await fetch(`${stack().API_URL}/functions/v1/probe/stream`, {
      headers: { Authorization: `Bearer ${stack().ANON_KEY}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    // The function sends the later events only after delays: the first arrives on its own.
    expect(first).toBe('data: 1\n\n');
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('data: 2\n\ndata: 3\n\n');
  });

  it('answers 500 when a function throws, and keeps serving', async () => {
    const client = serviceClient();
    const { error } = await client.functions.invoke('probe/throw');
    expect(await errorBody(error)).toEqual({
      status: 500,
      body: { code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)' },
    });
    const after = await client.functions.invoke('probe/echo', { body: { again: true } });
    expect(after.error).toBeNull();
  });

  it('answers 500 when a function’s process dies, and starts a fresh one for the next request', async () => {
    const client = serviceClient();
    const before = await client.functions.invoke<{ pid: number }>('probe/echo', { method: 'GET' });
    const { error } = await client.functions.invoke('probe/exit');
    expect((await errorBody(error)).status).toBe(500);
    const after = await client.functions.invoke<{ pid: number }>('probe/echo', { method: 'GET' });
    expect(after.error).toBeNull();
    expect(after.data!.pid).not.toBe(before.data!.pid);
  });

  it('answers 504 when a function hangs past the wall-clock limit, and the next request works', async () => {
    const client = serviceClient();
    const { error } = await client.functions.invoke('probe/hang');
    const { status, body } = await errorBody(error);
    expect(status).toBe(504);
    expect(body).toMatchObject({ code: 'WORKER_TIMEOUT' });
    const after = await client.functions.invoke('probe/echo', { method: 'GET' });
    expect(after.error).toBeNull();
  });

  it('answers 503 BOOT_ERROR for a function whose module fails to load', async () => {
    const { error } = await serviceClient().functions.invoke('boot-fails');
    expect(await errorBody(error)).toEqual({
      status: 503,
      body: { code: 'BOOT_ERROR', message: 'Worker failed to boot (please check logs)' },
    });
  });

  it('validates a body with the _shared zod helper and fails in one error shape, with CORS', async () => {
    const client = serviceClient();
    const ok = await client.functions.invoke('validated', {
      body: { lease_id: '5b0f8a4e-3c1d-4a8e-9f2b-7d6c5e4a3b21', amount_minor: 125000, currency: 'USD' },
    });
    expect(ok.error).toBeNull();
    expect(ok.data).toEqual({ accepted: { lease_id: '5b0f8a4e-3c1d-4a8e-9f2b-7d6c5e4a3b21', amount_minor: 125000, currency: 'USD' } });

    const bad = await client.functions.invoke('validated', { body: { lease_id: 'nope', amount_minor: -5, currency: 'usd' } });
    const { status, body } = await errorBody(bad.error);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { code: 'invalid_request', message: 'The request is not valid.' } });
    const fields = (body as { error: { details: { fieldErrors: Record<string, string[]> } } }).error.details.fieldErrors;
    expect(Object.keys(fields).sort()).toEqual(['amount_minor', 'currency', 'lease_id']);
    expect((bad.error as FunctionsHttpError).context.headers.get('access-control-allow-origin')).toBe('*');

    const notJson = await client.functions.invoke('validated', { body: 'rent please', headers: { 'Content-Type': 'text/plain' } });
    expect(await errorBody(notJson.error)).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });

    const wrongMethod = await client.functions.invoke('validated', { method: 'GET' });
    expect(await errorBody(wrongMethod.error)).toMatchObject({ status: 405, body: { error: { code: 'method_not_allowed' } } });
  });

  it('keeps EdgeRuntime.waitUntil work running after the response', async () => {
    const client = serviceClient();
    const { data, error } = await client.functions.invoke<{ marker: string }>('probe/wait-until', { method: 'GET' });
    expect(error).toBeNull();
    let read: unknown;
    for (const end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      read = (await client.functions.invoke(`probe/read-file?path=${encodeURIComponent(data!.marker)}`, { method: 'GET' })).data;
      if (read) break;
    }
    expect(read).toEqual({ content: 'yes' });
  });
});
