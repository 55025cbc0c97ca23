import { beforeAll, describe, expect, it } from 'vitest';
import { balance, call, enablePayments, ledger, moneyOrg, paymentRow, postForm, q, signIn, waitFor, type MoneyOrg } from './money.ts';

// Autopay: a card saved through setup-mode Checkout on the org's connected account, rent posted for
// the period (by any rent run: here straight into the ledger), autopay-run called as its cron job
// calls it, with the cron secret from Vault.

const cronSecret = async () => (await q(`select decrypted_secret from vault.decrypted_secrets where name = 'lintel_cron_secret'`))[0]!.decrypted_secret as string;
const run = async (secret?: string) => call('autopay-run', { headers: secret === undefined ? {} : { 'x-cron-secret': secret } });
const postRent = (org: string, lease: string, period: string, amount = 120_000) =>
  q(`select private.insert_ledger_entry($1, $2, 'rent', $3, $4, 'Rent', $5::date, null, null, $5::date, ($5::date + interval '1 month - 1 day')::date)`, [
    org,
    lease,
    amount,
    `rent:${lease}:${period}`,
    `${period}-01`,
  ]);
const enrollment = async (lease: string) => (await q('select * from public.autopay_enrollments where lease_id = $1', [lease]))[0];

describe('autopay', () => {
  let org: MoneyOrg;
  beforeAll(async () => {
    org = await moneyOrg();
    await enablePayments(org);
  });

  it('opts a resident in with a card saved through setup-mode Checkout', async () => {
    const r = org.residents[0]!;
    const res = await call('autopay-setup', { as: r.login, body: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(await enrollment(r.leaseId)).toMatchObject({ enabled: false, stripe_payment_method_id: null, stripe_customer_id: expect.stringMatching(/^cus_/) });
    expect((await postForm(res.body.checkout_url, { action: 'pay', card: 'pm_card_mastercard' })).status).toBe(303);
    await waitFor(async () => expect(await enrollment(r.leaseId)).toMatchObject({ enabled: true, card_brand: 'mastercard', card_last4: '4444' }));
    const mine = await (await signIn(r.login)).from('autopay_enrollments').select('enabled, card_last4');
    expect(mine.data).toEqual([{ enabled: true, card_last4: '4444' }]);
    expect((await call('autopay-setup', { as: org.manager, body: {} })).status).toBe(403);
    expect((await call('autopay-setup', { as: r.login, body: { lease_id: org.residents[1]!.leaseId } })).status).toBe(404);
  });

  it('refuses a call without the cron secret', async () => {
    expect((await run()).status).toBe(401);
    expect((await run('not-the-secret')).status).toBe(401);
    expect((await call('autopay-run', { as: org.owner })).status).toBe(401);
  });

  it('charges rent posted after opting in, once per lease and period, however often it runs', async () => {
    const r = org.residents[0]!;
    const secret = await cronSecret();
    // December's rent was posted before autopay was switched on: not charged.
    const idle = await run(secret);
    expect(idle.body).toMatchObject({ claimed: 0 });
    await postRent(org.id, r.leaseId, '2027-01');
    const [a, b] = await Promise.all([run(secret), run(secret)]);
    expect(a.status).toBe(200);
    expect(a.body.claimed + b.body.claimed).toBeGreaterThanOrEqual(1);
    const [payment] = await q(`select id from public.payments where idempotency_key = $1`, [`autopay:${r.leaseId}:2027-01`]);
    await waitFor(async () => expect((await paymentRow(payment!.id)).status).toBe('succeeded'));
    expect(await paymentRow(payment!.id)).toMatchObject({ autopay: true, amount_minor: '120000', application_fee_minor: '600' });
    expect((await run(secret)).body.claimed).toBe(0);
    const charges = (await ledger(r.leaseId)).filter((e) => e.kind === 'payment');
    expect(charges).toHaveLength(1);
    expect(await balance(r.leaseId)).toBe(120_000);
    await waitFor(async () => expect((await paymentRow(payment!.id)).receipt_path).not.toBeNull());
  });

  it('lets a resident opt out (and only of their own autopay)', async () => {
    const [a, b] = org.residents;
    const res = await call('autopay-setup', { as: b!.login, body: {} });
    await postForm(res.body.checkout_url, { action: 'pay', card: 'pm_card_visa' });
    await waitFor(async () => expect((await enrollment(b!.leaseId))?.enabled).toBe(true));
    const asB = await signIn(b!.login);
    const notMine = await asB.from('autopay_enrollments').update({ enabled: false }).eq('lease_id', a!.leaseId).select();
    expect(notMine.data).toEqual([]);
    expect((await enrollment(a!.leaseId))!.enabled).toBe(true);
    const card = await asB.from('autopay_enrollments').update({ stripe_payment_method_id: 'pm_mine' }).eq('lease_id', b!.leaseId).select();
    expect(card.error?.code).toBe('42501');
    const out = await asB.from('autopay_enrollments').update({ enabled: false }).eq('lease_id', b!.leaseId).select('enabled');
    expect(out.data).toEqual([{ enabled: false }]);
    await postRent(org.id, b!.leaseId, '2027-01');
    expect((await run(await cronSecret())).body.claimed).toBe(0);
    expect((await q(`select count(*) as n from public.payments where lease_id = $1 and autopay`, [b!.leaseId]))[0]!.n).toBe('0');
  });

  it('is scheduled hourly with pg_cron, and the job reaches the function with the secret', async () => {
    const [job] = await q(`select schedule, command from cron.job where jobname = 'autopay-run'`);
    expect(job).toEqual({ schedule: '20 * * * *', command: `select private.invoke_function('autopay-run')` });
    const [{ id }] = (await q(`select private.invoke_function('autopay-run') as id`)) as [{ id: string }];
    const response = await waitFor(async () => {
      const [row] = await q('select status_code, content from net._http_response where id = $1', [id]);
      expect(row).toBeDefined();
      return row!;
    });
    expect(response.status_code).toBe(200);
    expect(JSON.parse(response.content)).toMatchObject({ claimed: expect.any(Number), error: 0 });
  });
});
