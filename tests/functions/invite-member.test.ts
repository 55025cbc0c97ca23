import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../local-stack/demo.ts';
import { anonClient, db, serviceClient, stack } from '../setup/clients.ts';

// invite-member through the real function, called as the app calls it: functions.invoke() with
// a session from /auth/v1, the invitation written by the database as the caller, the email read
// back from the local outbox.

async function signedIn(email: string, password = DEMO_PASSWORD) {
  const client = anonClient();
  const { error } = await client.auth.signInWithPassword({ email, password });
  if (error) throw error;
  return client;
}

/** POSTs a body with the user's token, as functions.invoke does, and returns status and JSON. */
async function call(client: Awaited<ReturnType<typeof signedIn>> | null, body: unknown) {
  const token = client ? (await client.auth.getSession()).data.session!.access_token : null;
  const res = await fetch(`${stack().API_URL}/functions/v1/invite-member`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', apikey: stack().ANON_KEY!, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function invitationsFor(email: string): Promise<number> {
  const c = await db();
  try {
    return Number((await c.query('select count(*) from public.invitations where email = $1', [email])).rows[0].count);
  } finally {
    await c.end();
  }
}

interface Message {
  ID: string;
  Subject: string;
  To: { Address: string }[];
  Text: string;
  HTML: string;
  Links: string[];
}

/** The messages to an address in the outbox, newest first, waiting for `count` of them. */
async function mailTo(address: string, count = 1): Promise<Message[]> {
  const mail = stack().MAIL_URL!;
  for (let i = 0; i < 100; i++) {
    const list = (await (await fetch(`${mail}/api/v1/search?query=${encodeURIComponent(`to:${address}`)}`)).json()) as { messages: { ID: string }[] };
    if (list.messages.length >= count) {
      return Promise.all(list.messages.map(async (m) => (await (await fetch(`${mail}/api/v1/message/${m.ID}`)).json()) as Message));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fewer than ${count} messages to ${address}`);
}

const newAddress = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@example.test`;
const joined: string[] = [];

afterAll(async () => {
  // Members this file added to Acme leave again, so other files see the seeded team.
  const c = await db();
  try {
    await c.query(`delete from public.memberships m using auth.users u where u.id = m.user_id and u.email = any($1)`, [joined]);
  } finally {
    await c.end();
  }
});

describe('invite-member', () => {
  it('answers a bad body 400 with the fields at fault, and writes nothing', async () => {
    const manager = await signedIn('manager@acme.test');
    const bad = await call(manager, { email: 'not-an-address', role: 'landlord' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(Object.keys(bad.body.error.details.fieldErrors).sort()).toEqual(['email', 'role']);
    const email = newAddress('bad-role');
    const badRole = await call(manager, { email, role: 'landlord' });
    expect(badRole.body.error.details.fieldErrors).toEqual({ role: ['Choose a role.'] });
    expect(await invitationsFor(email)).toBe(0);
    const resident = await call(manager, { email: newAddress('resident'), role: 'resident' });
    expect(resident.status).toBe(400);
    expect(Object.keys(resident.body.error.details.fieldErrors)).toEqual(['resident_id']);
    const notJson = await call(manager, '{"email":');
    expect([notJson.status, notJson.body.error.code]).toEqual([400, 'invalid_json']);
  });

  it('passes on the database’s refusals: a viewer may not invite, a manager not above their own role', async () => {
    const viewerEmail = newAddress('by-viewer');
    const byViewer = await call(await signedIn('viewer@acme.test'), { email: viewerEmail, role: 'viewer' });
    expect(byViewer.status).toBe(403);
    expect(byViewer.body.error).toMatchObject({ code: 'LT403', message: 'your role in this organization may not do this' });
    const adminEmail = newAddress('as-admin');
    const asAdmin = await call(await signedIn('manager@acme.test'), { email: adminEmail, role: 'admin' });
    expect(asAdmin.status).toBe(403);
    expect(asAdmin.body.error).toMatchObject({ code: 'LT403', message: 'you cannot invite someone with a role above your own' });
    expect(await invitationsFor(viewerEmail)).toBe(0);
    expect(await invitationsFor(adminEmail)).toBe(0);
  });

  it('is refused without a signed-in caller, before the function runs', async () => {
    expect((await call(null, { email: newAddress('anon'), role: 'viewer' })).status).toBe(401);
  });

  it('mails the invitee a working link; resend mails a new one and the old stops working', async () => {
    const manager = await signedIn('manager@acme.test');
    const email = newAddress('Invitee').toLowerCase();
    const sent = await call(manager, { email: email.toUpperCase(), role: 'viewer' });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ email, role: 'viewer', invitation_id: expect.any(String), expires_at: expect.any(String) });
    expect(sent.body).not.toHaveProperty('token');

    const [mail] = await mailTo(email);
    expect(mail!.Subject).toBe('Join Acme Property Co on Lintel');
    expect(mail!.Text).toContain('Maya Ortiz invited you to join Acme Property Co on Lintel as a viewer.');
    const link = mail!.Links.find((l) => l.includes('/invite/'))!;
    expect(link).toMatch(/^https?:\/\/[^/]+\/invite\/[0-9a-f]{64}$/);
    expect(mail!.HTML).toContain(`href="${link}"`);
    const token = link.split('/invite/')[1]!;

    // The link's token is the one the invitation page reads, signed out.
    const { data: shown } = await anonClient().rpc('lookup_invitation', { p_token: token });
    expect(shown).toEqual([expect.objectContaining({ org_name: 'Acme Property Co', email, role: 'viewer', status: 'pending' })]);

    const again = await call(manager, { email, role: 'viewer' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'LT409', message: `${email} already has a pending invitation` });

    const resent = await call(manager, { invitation_id: sent.body.invitation_id });
    expect(resent.status).toBe(200);
    const mails = await mailTo(email, 2);
    const newLink = mails.map((m) => m.Links.find((l) => l.includes('/invite/'))!).find((l) => l !== link)!;
    const newToken = newLink.split('/invite/')[1]!;
    expect((await anonClient().rpc('lookup_invitation', { p_token: token })).data).toEqual([]);

    // The invitee signs up with the invited address and accepts with the new link's token.
    const { error: created } = await serviceClient().auth.admin.createUser({ email, password: 'invitee-password-1', email_confirm: true });
    expect(created).toBeNull();
    joined.push(email);
    const invitee = await signedIn(email, 'invitee-password-1');
    expect((await invitee.rpc('accept_invitation', { p_token: token })).error?.code).toBe('LT404');
    const accepted = await invitee.rpc('accept_invitation', { p_token: newToken });
    expect(accepted.error).toBeNull();
    expect(accepted.data).toMatchObject({ role: 'viewer' });
    await invitee.auth.refreshSession();
    const { data: who } = await invitee.functions.invoke('whoami', { method: 'GET' });
    expect(who).toMatchObject({ email, org_role: 'viewer' });
  });

  it('resend is refused for an invitation of another org, like a missing one', async () => {
    const manager = await signedIn('manager@acme.test');
    const sent = await call(manager, { email: newAddress('acme-only'), role: 'maintenance' });
    expect(sent.status).toBe(201);
    const other = await call(await signedIn('manager@birch.test'), { invitation_id: sent.body.invitation_id });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('LT404');
    expect((await call(manager, { invitation_id: 'nope' })).status).toBe(400);
  });
});
