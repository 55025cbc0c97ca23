import { percentile, printTable, writeResult, type BenchContext } from './lib.ts';

const PASSWORD = 'Lintel-bench-2026';
const CONNECTIONS = 8;
const SECONDS = 8;

interface Figures {
  grant: string;
  connections: number;
  requests: number;
  requests_per_s: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  errors: number;
}

/**
 * Closed-loop load: `CONNECTIONS` workers each send the next request when the last answered,
 * for `SECONDS`. A hand loop rather than autocannon because every refresh request must carry
 * the token the previous answer rotated to.
 */
async function closedLoop(grant: string, workers: (() => Promise<boolean>)[]): Promise<Figures> {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    workers.map(async (step) => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const ok = await step().catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  return {
    grant,
    connections: workers.length,
    requests: latencies.length,
    requests_per_s: Math.round((latencies.length / SECONDS) * 10) / 10,
    p50_ms: Math.round(percentile(latencies, 50) * 10) / 10,
    p95_ms: Math.round(percentile(latencies, 95) * 10) / 10,
    p99_ms: Math.round(percentile(latencies, 99) * 10) / 10,
    errors,
  };
}

/** Password-grant and refresh-grant throughput of /auth/v1 (bcrypt cost 10, as GoTrue). */
export default async function authBench({ stack }: BenchContext): Promise<void> {
  const auth = `${stack.API_URL}/auth/v1`;
  const headers = { apikey: stack.ANON_KEY!, 'content-type': 'application/json', 'x-supabase-api-version': '2024-01-01' };
  const emails: string[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const email = `bench-${process.pid}-${i}@example.com`;
    const res = await fetch(`${auth}/admin/users`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${stack.SERVICE_ROLE_KEY}` },
      body: JSON.stringify({ email, password: PASSWORD, email_confirm: true }),
    });
    if (!res.ok) throw new Error(`could not create bench user: ${res.status} ${await res.text()}`);
    emails.push(email);
  }
  const signIn = async (email: string) =>
    fetch(`${auth}/token?grant_type=password`, { method: 'POST', headers, body: JSON.stringify({ email, password: PASSWORD }) });

  const password = await closedLoop(
    'password',
    emails.map((email) => async () => {
      const res = await signIn(email);
      await res.arrayBuffer();
      return res.ok;
    }),
  );

  const tokens = await Promise.all(emails.map(async (e) => ((await (await signIn(e)).json()) as { refresh_token: string }).refresh_token));
  const refresh = await closedLoop(
    'refresh_token',
    tokens.map((_, i) => async () => {
      const res = await fetch(`${auth}/token?grant_type=refresh_token`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ refresh_token: tokens[i] }),
      });
      if (!res.ok) {
        await res.arrayBuffer();
        return false;
      }
      tokens[i] = ((await res.json()) as { refresh_token: string }).refresh_token;
      return true;
    }),
  );

  printTable(`Auth token grants (${CONNECTIONS} connections, ${SECONDS} s each)`, [password, refresh] as never);
  writeResult('auth', { connections: CONNECTIONS, seconds: SECONDS, password, refresh });
}
