import type Stripe from 'stripe';

// The simulated pages a person sees instead of Stripe's: hosted Checkout and Connect onboarding.
// Plain forms (labels, fieldsets, native buttons and selects), so they work by keyboard and with a
// screen reader, and tests drive them with `fetch` form posts.

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function money(amount: number, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(title)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#f6f8fa}
main{max-width:34rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:.5rem;box-shadow:0 1px 3px #0002}
.banner{background:#ffd166;padding:.4rem 1rem;text-align:center;font-weight:600}
table{width:100%;border-collapse:collapse;margin:1rem 0}th,td{text-align:left;padding:.35rem 0;border-bottom:1px solid #e3e8ee}
td.num,th.num{text-align:right}fieldset{border:1px solid #e3e8ee;border-radius:.4rem;margin:1rem 0;padding:.75rem 1rem}
label{display:block;font-weight:600;margin:.25rem 0}input,select{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}
button{font:inherit;padding:.6rem 1rem;margin:.5rem .5rem 0 0;border-radius:.4rem;border:1px solid #635bff;background:#635bff;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#635bff}button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #0a2540;outline-offset:2px}

.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
[role=alert]{background:#fde2e1;border:1px solid #df1b41;padding:.5rem .75rem;border-radius:.4rem}
</style></head>
<body><p class="banner">Test mode: the Lintel Stripe double. No money moves.</p><main>${body}</main></body></html>`;
}

export function checkoutPage(o: {
  session: Stripe.Checkout.Session;
  lines: Stripe.LineItem[];
  merchant: string;
  error?: string;
}): string {
  const s = o.session;
  if (s.status !== 'open') {
    return layout('Checkout', `<h1>${escape(o.merchant)}</h1><p>This Checkout Session is ${escape(s.status ?? 'closed')}.</p>`);
  }
  const rows = o.lines
    .map(
      (l) =>
        `<tr><td>${escape(l.description ?? 'Item')}${l.price?.recurring ? ` <small>(every ${l.price.recurring.interval_count > 1 ? `${l.price.recurring.interval_count} ` : ''}${escape(l.price.recurring.interval)})</small>` : ''}</td><td class="num">${l.quantity ?? 1}</td><td class="num">${money(l.amount_total, l.currency)}</td></tr>`,
    )
    .join('');
  const total = s.amount_total !== null && s.currency ? money(s.amount_total, s.currency) : null;
  const verb = s.mode === 'setup' ? 'Save card' : s.mode === 'subscription' ? `Subscribe${total ? ` (${total})` : ''}` : `Pay ${total ?? ''}`.trim();
  const table = rows
    ? `<table><caption class="visually-hidden">Order summary</caption><thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Amount</th></tr></thead><tbody>${rows}</tbody>${total ? `<tfoot><tr><th scope="row" colspan="2">Total</th><td class="num">${total}</td></tr></tfoot>` : ''}</table>`
    : '<p>Save a card for future payments.</p>';
  return layout(
    `Checkout: ${o.merchant}`,
    `<h1>${escape(o.merchant)}</h1>
${o.error ? `<p role="alert">${escape(o.error)}</p>` : ''}
${table}
<form method="post">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" value="${escape(s.customer_email ?? '')}">
<fieldset><legend>Pay with a test card</legend>
<label for="card">Card</label>
<select id="card" name="card">
<option value="pm_card_visa">Visa ending 4242 (succeeds)</option>
<option value="pm_card_mastercard">Mastercard ending 4444 (succeeds)</option>
<option value="pm_card_createDispute">Visa ending 0259 (succeeds, then disputed)</option>
</select>
<button type="submit" name="action" value="pay">${escape(verb)}</button>
</fieldset>
<fieldset><legend>Simulate a failure</legend>
<label for="decline_card">Decline reason</label>
<select id="decline_card" name="decline_card">
<option value="pm_card_chargeDeclined">Card declined (generic)</option>
<option value="pm_card_chargeDeclinedInsufficientFunds">Insufficient funds</option>
</select>
<button type="submit" name="action" value="decline" class="secondary">Decline (card declined)</button>
<button type="submit" name="action" value="abandon" class="secondary">Abandon (expire this session)</button>
</fieldset>
</form>`,
  );
}

export function onboardingPage(o: { account: Stripe.Account; type: string; error?: string }): string {
  const a = o.account;
  const name = a.business_profile?.name ?? a.email ?? a.id;
  return layout(
    'Connect onboarding',
    `<h1>${o.type === 'account_update' ? 'Update' : 'Set up'} payouts for ${escape(name)}</h1>
${o.error ? `<p role="alert">${escape(o.error)}</p>` : ''}
<p>Account <code>${escape(a.id)}</code> (${escape(a.type)}), ${a.details_submitted ? 'details submitted' : 'details not submitted yet'}.</p>
<form method="post">
<button type="submit" name="action" value="complete">Complete onboarding</button>
<button type="submit" name="action" value="leave" class="secondary">Leave unfinished</button>
</form>`,
  );
}

/** A page for a URL the double hands out (receipts, hosted invoices, an ended link). */
export function notePage(title: string, text: string): string {
  return layout(title, `<h1>${escape(title)}</h1><p>${escape(text)}</p>`);
}
