import { randomUUID } from 'node:crypto';
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEMO_PASSWORD } from '../../local-stack/demo.ts';
import { db, serviceClient, stack } from '../setup/clients.ts';

// A member removed while signed in, through the real services with their real, unexpired access
// token (supabase/migrations/*_add_claim_revocations.sql): /rest/v1 answers 401 LT440 from the
// pre-request, Realtime refuses the org's topic at join, Storage's policies deny the org's photos.

const clients: SupabaseClient[] = [];

async function signedIn(email: string, password: string): Promise<SupabaseClient> {
  const s = stack();
  const client = createClient(s.API_URL!, s.ANON_KEY!, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never } as never,
  });
  const { error } = await client.auth.signInWithPassword({ email, password });
  if (error) throw error;
  clients.push(client);
  return client;
}

function join(client: SupabaseClient, topic: string): Promise<RealtimeChannel> {
  const channel = client.channel(topic, { config: { private: true } });
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve(channel);
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
    });
  });
}

async function one<T>(sql: string, params: unknown[] = []): Promise<T> {
  const c = await db();
  try {
    return (await c.query(sql, params)).rows[0] as T;
  } finally {
    await c.end();
  }
}

afterAll(async () => {
  for (const c of clients) await c.removeAllChannels();
});

describe('a removed member’s unexpired token', () => {
  it('is refused by REST, Realtime and Storage on the next request; a refreshed one is not', async () => {
    // A maintenance worker who joined Acme through an invitation, signed in.
    const email = `tech-${randomUUID().slice(0, 8)}@example.test`;
    const password = 'removed-tech-password-1';
    expect((await serviceClient().auth.admin.createUser({ email, password, email_confirm: true })).error).toBeNull();
    const owner = await signedIn('owner@acme.test', DEMO_PASSWORD);
    const { data: invited } = await owner.rpc('invite_member', { p_email: email, p_role: 'maintenance' });
    const tech = await signedIn(email, password);
    expect((await tech.rpc('accept_invitation', { p_token: (invited as { token: string }).token })).error).toBeNull();
    await tech.auth.refreshSession();
    await tech.realtime.setAuth();
    const { org, request } = await one<{ org: string; request: string }>(
      `select o.id as org, r.id as request from public.organizations o join public.maintenance_requests r on r.org_id = o.id where o.slug = 'acme' limit 1`,
    );
    const photo = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#aa6633' } }).jpeg().toBuffer();
    const photos = tech.storage.from('maintenance-photos');
    const path = `${org}/${request}/removed-${randomUUID().slice(0, 8)}.jpg`;

    // While a member: all three answer.
    expect((await tech.from('maintenance_requests').select('id').eq('id', request)).data).toEqual([{ id: request }]);
    await (await join(tech, `org:${org}`)).unsubscribe();
    expect((await photos.upload(path, photo, { contentType: 'image/jpeg' })).error).toBeNull();
    expect((await photos.download(path)).error).toBeNull();

    const { data: who } = await tech.auth.getUser();
    expect((await owner.rpc('remove_member', { p_user_id: who.user!.id })).error).toBeNull();

    // The same token, minutes from expiring at the earliest.
    const rest = await tech.from('maintenance_requests').select('id').eq('id', request);
    expect(rest.status).toBe(401);
    expect(rest.error).toMatchObject({ code: 'LT440', message: 'you are no longer a member of this organization', details: 'removed' });
    await expect(join(tech, `org:${org}`)).rejects.toThrow(`Unauthorized: You do not have permissions to read from this Channel topic: org:${org}`);
    expect((await photos.download(path)).error).toMatchObject({ statusCode: '404' });
    expect((await photos.upload(path.replace('.jpg', '-2.jpg'), photo, { contentType: 'image/jpeg' })).error).toMatchObject({ statusCode: '403' });
    expect((await photos.list(`${org}/${request}`)).data).toEqual([]);

    // A refreshed token carries no org: nothing of Acme, and no refusal either.
    await tech.auth.refreshSession();
    const after = await tech.from('maintenance_requests').select('id');
    expect(after.error).toBeNull();
    expect(after.data).toEqual([]);
    await (await join(tech, `user:${who.user!.id}`)).unsubscribe();
  });
});
