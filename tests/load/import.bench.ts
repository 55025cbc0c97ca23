import pg from 'pg';
import { printTable, writeResult, type BenchContext } from './lib.ts';

// A spreadsheet onboarding of 10,000 units (200 properties of 50, each unit let to a resident with
// an email and a lease) through /rest/v1/rpc/import_portfolio, as the browser sends it: one call,
// signed in as a manager. Each run imports into a fresh org, so every row is created; the last
// sends the same file again, where everything is found and nothing written.
const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 10_000);
const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 3);
const PASSWORD = 'Lintel-bench-2026';

/** The rows web/lib/import/check.ts makes of such a file: empty cells left out. */
function file(tag: string) {
  return Array.from({ length: ROWS }, (_, i) => ({
    row: i + 2,
    property_name: `${tag} Property ${Math.floor(i / 50)}`,
    address_line1: `${Math.floor(i / 50)} Main St`,
    city: 'Springfield',
    region: 'IL',
    postal_code: '62701',
    unit_label: `U${i % 50}`,
    bedrooms: 1 + (i % 3),
    bathrooms: '1.5',
    square_feet: 800,
    market_rent_minor: 150000,
    resident_name: `Resident ${i}`,
    resident_email: `r${i}@${tag.toLowerCase()}.example`,
    resident_phone: '+1 555 0100',
    lease_start: '2026-01-01',
    lease_end: '2026-12-31',
    rent_minor: 145000,
    deposit_minor: 145000,
    due_day: 1,
  }));
}

/** A manager of a new org with room for the file, signed in through /auth/v1 (the token hook adds the claims). */
async function manager(stack: Record<string, string>, admin: pg.Client, n: number): Promise<string> {
  const email = `import-bench-${process.pid}-${n}@example.com`;
  const res = await fetch(`${stack.API_URL}/auth/v1/admin/users`, {
    method: 'POST',
    headers: { apikey: stack.SERVICE_ROLE_KEY!, authorization: `Bearer ${stack.SERVICE_ROLE_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, email_confirm: true }),
  });
  if (!res.ok) throw new Error(`could not create the bench user: ${res.status} ${await res.text()}`);
  const user = ((await res.json()) as { id: string }).id;
  const slug = `import-bench-${process.pid}-${n}`;
  const org = (await admin.query(`insert into public.organizations (name, slug, unit_limit) values ($1, $1, $2) returning id`, [slug, ROWS * 2])).rows[0].id;
  await admin.query(`insert into public.memberships (org_id, user_id, role) values ($1, $2, 'manager')`, [org, user]);
  const token = await fetch(`${stack.API_URL}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { apikey: stack.ANON_KEY!, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (!token.ok) throw new Error(`could not sign in: ${token.status} ${await token.text()}`);
  return ((await token.json()) as { access_token: string }).access_token;
}

async function post(stack: Record<string, string>, token: string, body: string) {
  const t0 = performance.now();
  const res = await fetch(`${stack.API_URL}/rest/v1/rpc/import_portfolio`, {
    method: 'POST',
    headers: { apikey: stack.ANON_KEY!, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  const seconds = (performance.now() - t0) / 1000;
  if (!res.ok) throw new Error(`import_portfolio answered ${res.status}: ${text.slice(0, 500)}`);
  return { seconds, summary: JSON.parse(text) as Record<string, { created: number; reused: number }> };
}

export default async function importBench({ stack }: BenchContext): Promise<void> {
  const admin = new pg.Client({ connectionString: stack.DB_URL });
  await admin.connect();
  const runs: Record<string, string | number>[] = [];
  try {
    let last: { token: string; body: string } | undefined;
    for (let n = 1; n <= RUNS; n++) {
      const token = await manager(stack, admin, n);
      const body = JSON.stringify({ p_rows: file(`Run${n}`) });
      const { seconds, summary } = await post(stack, token, body);
      if (summary.units!.created !== ROWS || summary.leases!.created !== ROWS) throw new Error(`run ${n} created ${JSON.stringify(summary)}`);
      runs.push({ run: `new org ${n}`, rows: ROWS, body_mb: Number((body.length / 1e6).toFixed(2)), seconds, created_units: summary.units!.created, reused_units: 0 });
      last = { token, body };
    }
    const again = await post(stack, last!.token, last!.body);
    if (again.summary.units!.created !== 0) throw new Error(`the second import created ${JSON.stringify(again.summary)}`);
    runs.push({ run: 'same file again', rows: ROWS, body_mb: Number((last!.body.length / 1e6).toFixed(2)), seconds: again.seconds, created_units: 0, reused_units: again.summary.units!.reused });
  } finally {
    await admin.end();
  }
  printTable(`import_portfolio over /rest/v1, one call of ${ROWS.toLocaleString('en-US')} rows (wall time, client to answer)`, runs);
  const fresh = runs.filter((r) => String(r.run).startsWith('new')).map((r) => Number(r.seconds)).sort((a, b) => a - b);
  process.stdout.write(`median of the new-org runs: ${fresh[Math.floor(fresh.length / 2)]!.toFixed(2)} s\n`);
  writeResult('import', { rows: ROWS, runs });
}
