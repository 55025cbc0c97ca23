import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { PROJECT_ROOT } from '../../local-stack/config.ts';
import { signHs256 } from '../../local-stack/jwt.ts';
import { percentile, printTable, writeResult, type BenchContext } from './lib.ts';

const COLD_RUNS = 5;
const WARM_REQUESTS = 200;

/**
 * Edge function latency through the gateway: cold (a function's first request: Deno process
 * start, module and npm imports from the warm cache, first response) and warm (the same
 * process serving again), plus throughput of a warm verify_jwt function.
 */
export default async function functionsBench({ stack }: BenchContext): Promise<void> {
  const api = `${stack.API_URL}/functions/v1`;
  const token = await signHs256(stack.JWT_SECRET!, { role: 'authenticated', sub: 'bench-user', org_id: 'bench-org' }, 3600);
  const auth = { Authorization: `Bearer ${token}` };

  // Cold: a new function folder is a function no worker has served yet. It imports the
  // _shared helpers (zod, npm:) like Lintel's real functions. Test stacks watch the fixtures dir.
  const fixtures = path.join(PROJECT_ROOT, 'tests', 'stack', 'fixtures', 'functions');
  const cold: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const name = `reload-bench-${process.pid}-${i}`;
    const folder = path.join(fixtures, name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      path.join(folder, 'index.ts'),
      `import { handler, json } from '../../../../../edge-functions/_shared/errors.ts';\n` +
        `Deno.serve(handler(() => json({ ok: ${i} })));\n`,
    );
    try {
      // Until the watcher has seen the folder the answer is 404, which starts no worker.
      for (const end = Date.now() + 10_000; Date.now() < end; ) {
        const t0 = performance.now();
        const res = await fetch(`${api}/${name}`, { headers: auth });
        const ms = performance.now() - t0;
        await res.arrayBuffer();
        if (res.status === 404) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        if (res.status !== 200) throw new Error(`cold ${name} answered ${res.status}`);
        cold.push(ms);
        break;
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }

  // Removing the folders makes the stack retire its workers (reload on change): let that pass.
  await new Promise((r) => setTimeout(r, 500));
  const warm: number[] = [];
  await (await fetch(`${api}/whoami`, { headers: auth })).arrayBuffer();
  for (let i = 0; i < WARM_REQUESTS; i++) {
    const t0 = performance.now();
    const res = await fetch(`${api}/whoami`, { headers: auth });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`warm whoami answered ${res.status}`);
    warm.push(performance.now() - t0);
  }

  const latency = [
    { case: 'cold: first request of a function', runs: cold.length, p50_ms: percentile(cold, 50), p95_ms: percentile(cold, 95), max_ms: Math.max(...cold) },
    { case: 'warm: whoami (verify_jwt), sequential', runs: warm.length, p50_ms: percentile(warm, 50), p95_ms: percentile(warm, 95), max_ms: Math.max(...warm) },
  ];
  printTable('Edge functions latency through the gateway', latency);

  const result = await autocannon({ url: `${api}/whoami`, headers: auth, connections: 16, duration: 5 });
  const throughput = {
    connections: 16,
    requests_per_s: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p97_5_ms: result.latency.p97_5,
    p99_ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
  printTable('Warm whoami under load (one Deno worker)', [throughput]);
  writeResult('functions', { latency, throughput });
}
