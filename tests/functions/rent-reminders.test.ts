import { execa } from 'execa';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../local-stack/config.ts';
import { db, serviceClient, stack } from '../setup/clients.ts';
import { createPortfolio, mailTo, remind, type Portfolio } from './portfolio.ts';
import { browserKeys, decryptPush, startPushService, type BrowserKeys, type PushService } from './push-service.ts';

// rent-reminders over HTTP, called as its cron job calls it (service role key), as of chosen
// instants: upcoming, due and overdue reminders by email (the outbox), web push (a push service
// stand-in) and in-app notification, once each, as each resident's preferences say.

let client: pg.Client;
let push: PushService;
beforeAll(async () => {
  client = await db();
  push = await startPushService();
});
afterAll(async () => {
  await client.end();
  await push.close();
});

/** Posts what the org's rent run would on its day (06-rent-run covers that run itself). */
const postRent = (org: string, day: string) => client.query('select * from private.post_rent($1, $2)', [org, day]);

const reminderRows = async (org: string) =>
  (
    await client.query(
      `select r.kind, r.channel, r.status, r.attempts, res.full_name as resident from public.reminders_sent r
       join public.residents res on res.id = r.resident_id where r.org_id = $1 order by r.kind, res.full_name, r.channel`,
      [org],
    )
  ).rows;

const notifications = async (userId: string) =>
  (await client.query(`select org_id, kind, title, body, data from public.notifications where user_id = $1 order by created_at`, [userId])).rows;

describe('rent-reminders', () => {
  let org: Portfolio;
  let other: Portfolio;
  let cy: BrowserKeys & { endpoint: string };

  beforeAll(async () => {
    cy = { ...browserKeys(), endpoint: `${push.url}/cy-${Date.now()}` };
    const terms = { start: '2034-01-01', dueDay: 10, graceDays: 5, lateFee: 5000 };
    org = await createPortfolio(client, {
      name: `Thames Lets ${Date.now()}`,
      timezone: 'Europe/London',
      currency: 'GBP',
      locale: 'en-GB',
      reminderDaysBefore: 3,
      residents: [
        { name: 'Ada', login: true },
        { name: 'Ben' },
        { name: 'Cy', login: true, prefs: { email: false, push: true }, push: [cy] },
        { name: 'Dee', login: true, prefs: { in_app: false } },
      ],
      leases: [
        { ...terms, rent: 100000, residents: [0, 1] },
        { ...terms, rent: 80000, residents: [2, 3] },
      ],
    });
    // Another company, with a resident who shares Ada's address, and one who does not.
    other = await createPortfolio(client, {
      name: `Sakura Homes ${Date.now()}`,
      timezone: 'Asia/Tokyo',
      currency: 'JPY',
      locale: 'ja-JP',
      residents: [{ name: 'Ada', email: org.residents[0]!.email }, { name: 'Fay' }],
      leases: [{ ...terms, rent: 150000, residents: [0, 1] }],
    });
  });

  it('sends the upcoming reminder once on each channel a resident has on, and a second run sends nothing', async () => {
    // 7 March 09:00 in London, three days before the rent falls due (18:00 in Tokyo).
    const first = await remind('2034-03-07T09:00:00Z', [org.id, other.id]);
    expect(first).toEqual({ planned: 8, sent: 8, failed: 0, skipped: 0, more: false });
    expect(await reminderRows(org.id)).toEqual([
      { kind: 'upcoming', channel: 'email', status: 'sent', attempts: 1, resident: 'Ada' },
      { kind: 'upcoming', channel: 'in_app', status: 'sent', attempts: 1, resident: 'Ada' },
      { kind: 'upcoming', channel: 'email', status: 'sent', attempts: 1, resident: 'Ben' },
      { kind: 'upcoming', channel: 'in_app', status: 'sent', attempts: 1, resident: 'Cy' },
      { kind: 'upcoming', channel: 'push', status: 'sent', attempts: 1, resident: 'Cy' },
      { kind: 'upcoming', channel: 'email', status: 'sent', attempts: 1, resident: 'Dee' },
    ]);

    const [ada, ben, dee] = [org.residents[0]!, org.residents[1]!, org.residents[3]!];
    const adaMail = await mailTo(ada.email!);
    // Ada is a resident of both companies: one reminder from each, each about its own home.
    expect(adaMail.map((m) => m.Subject).sort()).toEqual(['Rent of £1,000.00 is due on 10 March 2034', 'Rent of ￥150,000 is due on 2034年3月10日']);
    expect(adaMail.find((m) => m.Subject.includes('£'))!.Text).toMatch(new RegExp(`Unit 1, ${org.name} House[\\s\\S]*${org.name}`));
    expect(adaMail.find((m) => m.Subject.includes('￥'))!.Text).not.toContain(org.name);
    expect((await mailTo(ben.email!)).map((m) => m.Subject)).toEqual(['Rent of £1,000.00 is due on 10 March 2034']);
    expect((await mailTo(dee.email!)).map((m) => m.Subject)).toEqual(['Rent of £800.00 is due on 10 March 2034']);
    // Fay, only in the other company, hears nothing about this one's leases.
    const fayMail = await mailTo(other.residents[1]!.email!);
    expect(fayMail).toHaveLength(1);
    expect(fayMail[0]!.Text).not.toContain(org.name);
    // Each email carries its reminder's id, the one a retry would reuse.
    const ids = (await client.query(`select id from public.reminders_sent where org_id = $1 and channel = 'email'`, [org.id])).rows.map((r) => `rent-reminder-${r.id}@lintel`);
    expect([...adaMail, ...(await mailTo(ben.email!)), ...(await mailTo(dee.email!))].map((m) => m.MessageID).filter((x) => ids.includes(x))).toHaveLength(3);

    // In-app: Ada and Cy in this org; Dee turned it off.
    expect((await notifications(ada.userId!)).map((n) => [n.org_id, n.kind, n.title])).toEqual([[org.id, 'rent.upcoming', 'Rent due soon']]);
    expect(await notifications(dee.userId!)).toEqual([]);

    // Push: one message for Cy, VAPID-signed, encrypted for Cy's browser.
    const delivered = push.deliveries.filter((d) => cy.endpoint.endsWith(d.path));
    expect(delivered).toHaveLength(1);
    const d = delivered[0]!;
    expect(d.headers['content-encoding']).toBe('aes128gcm');
    expect(String(d.headers.authorization)).toMatch(/^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=BJ0akO5baYEHNiMD7jRsfFqW83dpRTDL02RCfMqcgcr1lXr-NPLmKNDOSer9Otj0OkuKkItrO2CudeK53gCMwvE$/);
    expect(String(d.headers.topic)).toMatch(/^[0-9a-f]{32}$/);
    const message = JSON.parse(decryptPush(d.body, cy));
    expect(message).toMatchObject({ title: 'Rent due soon', body: expect.stringContaining('£800.00'), url: expect.stringMatching(/\/portal$/) });

    // The same hour again, and the next day: nothing new.
    expect(await remind('2034-03-07T09:00:00Z', [org.id, other.id])).toEqual({ planned: 0, sent: 0, failed: 0, skipped: 0, more: false });
    expect(await remind('2034-03-08T10:00:00Z', [org.id, other.id])).toMatchObject({ planned: 0, sent: 0 });
    expect(await mailTo(ada.email!)).toHaveLength(2);
    expect(push.deliveries.filter((x) => cy.endpoint.endsWith(x.path))).toHaveLength(1);
    expect(await notifications(ada.userId!)).toHaveLength(1);
  });

  it('only in each org’s local morning', async () => {
    // 9 March 23:30 UTC: 08:30 on the 10th in Tokyo, still 23:30 on the 9th in London.
    await postRent(other.id, '2034-03-10');
    const run = await remind('2034-03-09T23:30:00Z', [org.id, other.id]);
    expect(run.planned).toBe(2); // Tokyo's due reminders (two residents' email)
    expect((await reminderRows(org.id)).filter((r) => r.kind !== 'upcoming')).toEqual([]);
  });

  it('due while the rent is owed, overdue once the grace days pass without payment', async () => {
    // No reminder that rent is due before the rent run has posted it.
    expect(await remind('2034-03-10T08:30:00Z', [org.id])).toMatchObject({ planned: 0 });
    await postRent(org.id, '2034-03-10');
    expect(await remind('2034-03-10T09:30:00Z', [org.id])).toMatchObject({ planned: 6, sent: 6, failed: 0 });
    expect((await mailTo(org.residents[1]!.email!)).map((m) => m.Subject)).toContain('Your rent is due: £1,000.00');
    // The first lease pays; the second does not, and its late fee is posted after the grace days.
    await client.query(`select private.insert_ledger_entry($1, $2, 'payment', -100000, $3)`, [org.id, org.leases[0], `pay-${org.leases[0]}`]);
    await postRent(org.id, '2034-03-16');
    expect(await remind('2034-03-16T09:00:00Z', [org.id])).toMatchObject({ planned: 3, sent: 3 });
    expect((await reminderRows(org.id)).filter((r) => r.kind === 'overdue')).toEqual([
      { kind: 'overdue', channel: 'in_app', status: 'sent', attempts: 1, resident: 'Cy' },
      { kind: 'overdue', channel: 'push', status: 'sent', attempts: 1, resident: 'Cy' },
      { kind: 'overdue', channel: 'email', status: 'sent', attempts: 1, resident: 'Dee' },
    ]);
    expect((await mailTo(org.residents[3]!.email!)).map((m) => m.Subject)).toContain('Your rent is overdue: £850.00');
    expect(await remind('2034-03-17T09:00:00Z', [org.id])).toMatchObject({ planned: 0, sent: 0 });
  });
});

describe('rent-reminders: failures and resumption', () => {
  it('a push service that is down fails the reminder with its answer; a later run retries it; a gone subscription is forgotten', async () => {
    const keys = { ...browserKeys(), endpoint: `${push.url}/down-${Date.now()}` };
    const goneKeys = { ...browserKeys(), endpoint: `${push.url}/gone-${Date.now()}` };
    const p = await createPortfolio(client, {
      name: `Flaky Push ${Date.now()}`,
      timezone: 'UTC',
      residents: [{ name: 'Gus', login: true, prefs: { email: false, in_app: false, push: true }, push: [keys, goneKeys] }],
      leases: [{ start: '2035-01-01', rent: 100000, dueDay: 5, graceDays: 3, lateFee: 0, residents: [0] }],
    });
    push.down.add(new URL(keys.endpoint).pathname);
    push.gone.add(new URL(goneKeys.endpoint).pathname);
    expect(await remind('2035-03-02T09:00:00Z', [p.id])).toEqual({ planned: 1, sent: 0, failed: 1, skipped: 0, more: false });
    const row = async () =>
      (await client.query(`select status, attempts, error from public.reminders_sent where org_id = $1`, [p.id])).rows[0];
    expect(await row()).toMatchObject({ status: 'failed', attempts: 1, error: 'HTTP 503' });
    const endpoints = async () => (await client.query(`select endpoint from public.push_subscriptions where user_id = $1`, [p.residents[0]!.userId])).rows.map((r) => r.endpoint);
    expect(await endpoints()).toEqual([keys.endpoint]);
    // The service is back: the next run sends it, once.
    push.down.clear();
    expect(await remind('2035-03-02T10:00:00Z', [p.id])).toMatchObject({ planned: 0, sent: 1, failed: 0 });
    expect(await row()).toMatchObject({ status: 'sent', attempts: 2, error: null });
    expect(push.deliveries.filter((x) => keys.endpoint.endsWith(x.path))).toHaveLength(1);
    expect(await remind('2035-03-02T11:00:00Z', [p.id])).toMatchObject({ sent: 0, failed: 0 });
  });

  it('a run that died after claiming is resumed once its claim expires, each reminder sent once with the same Message-ID', async () => {
    const p = await createPortfolio(client, {
      name: `Resumed ${Date.now()}`,
      timezone: 'America/Los_Angeles',
      residents: [{ name: 'Hal' }, { name: 'Ivy' }],
      leases: [{ start: '2035-01-01', rent: 120000, dueDay: 1, graceDays: 5, lateFee: 0, residents: [0, 1] }],
    });
    // A run plans and claims (26 February, 09:00 in Los Angeles), then dies before sending anything.
    const service = serviceClient();
    const plan = await service.rpc('plan_rent_reminders', { p_now: '2035-02-26T17:00:00Z', p_org_ids: [p.id] });
    expect(plan.data.planned).toBe(2);
    const claimed = await service.rpc('claim_rent_reminders', { p_since: plan.data.since, p_limit: 10, p_org_ids: [p.id] });
    expect(claimed.data).toHaveLength(2);
    // Another run right after leaves them to the run that claimed them (it may still be sending)...
    expect(await remind('2035-02-26T18:00:00Z', [p.id])).toMatchObject({ planned: 0, sent: 0 });
    expect(await mailTo(p.residents[0]!.email!)).toEqual([]);
    // ...until the claim is 10 minutes old: then they are sent, each once.
    await client.query(`update public.reminders_sent set claimed_at = claimed_at - interval '11 minutes' where org_id = $1`, [p.id]);
    expect(await remind('2035-02-26T19:00:00Z', [p.id])).toMatchObject({ planned: 0, sent: 2 });
    const rows = (await client.query(`select id, status, attempts from public.reminders_sent where org_id = $1`, [p.id])).rows;
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ['sent', 2],
      ['sent', 2],
    ]);
    for (const r of p.residents) {
      const mail = await mailTo(r.email!);
      expect(mail).toHaveLength(1);
      expect(rows.map((x) => `rent-reminder-${x.id}@lintel`)).toContain(mail[0]!.MessageID);
    }
    expect(await remind('2035-02-26T20:00:00Z', [p.id])).toMatchObject({ sent: 0 });
  });
});

describe('rent-reminders: who may call it', () => {
  const call = (headers: Record<string, string>, body: unknown = {}) =>
    fetch(`${stack().API_URL}/functions/v1/rent-reminders`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('refuses anyone without the service role key, before doing anything', async () => {
    const s = stack();
    const attempts: Record<string, string>[] = [{}, { Authorization: `Bearer ${s.ANON_KEY}` }, { Authorization: 'Bearer not-a-key' }, { apikey: s.SERVICE_ROLE_KEY! }];
    for (const headers of attempts) {
      const res = await call(headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'not_authenticated' } });
    }
  });

  it('validates the body', async () => {
    const auth = { Authorization: `Bearer ${stack().SERVICE_ROLE_KEY}` };
    for (const body of [{ now: 'tomorrow' }, { org_ids: ['not-a-uuid'] }, { extra: true }]) {
      const res = await call(auth, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });

  it('refuses a wrong cron secret', async () => {
    const res = await call({ 'x-cron-secret': 'not-the-secret' });
    expect(res.status).toBe(401);
  });

  it('runs from its cron job: pg_net to the project URL in Vault, with the cron secret, hourly', async () => {
    const job = (await client.query(`select schedule from cron.job where jobname = 'rent-reminders'`)).rows[0];
    expect(job).toEqual({ schedule: '30 * * * *' });
    const before = Number((await client.query('select coalesce(max(id), 0) as id from net._http_response')).rows[0].id);
    await execa('npx', ['tsx', 'local-stack/cli.ts', 'stack', 'run-job', 'rent-reminders'], { cwd: PROJECT_ROOT, env: { DB_URL: stack().DB_URL } });
    const response = async () =>
      (await client.query(`select status_code, content from net._http_response where id > $1 and content like '%"planned"%'`, [before])).rows[0];
    await expect.poll(response, { timeout: 20_000, interval: 200 }).toBeTruthy();
    const r = await response();
    expect(r.status_code).toBe(200);
    expect(JSON.parse(r.content)).toMatchObject({ planned: expect.any(Number), failed: expect.any(Number), more: false });
  });
});
