import { rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../../local-stack/config.ts';
import { createLogger } from '../../local-stack/log.ts';
import { startStack } from '../../local-stack/stack.ts';
import { freePort } from '../setup/test-stack.ts';
import { loadRow, printTable, writeResult, type BenchContext } from './lib.ts';

/** Start-up times of the local stack and the gateway's raw overhead. */
export default async function stackBench({ stack }: BenchContext): Promise<void> {
  const stateDir = path.join(PROJECT_ROOT, '.lintel', 'bench', `stack-${process.pid}`);
  const config = loadConfig({ stateDir, ports: { api: await freePort(), db: await freePort(), mail: await freePort(), stripe: await freePort() } });
  const logger = createLogger('bench', { level: 'silent' });
  const starts: { run: string; seconds: number }[] = [];
  try {
    for (const run of ['first start (new cluster)', 'second start (reused data)', 'third start (reused data)']) {
      const t0 = performance.now();
      const running = await startStack(config, logger);
      starts.push({ run, seconds: (performance.now() - t0) / 1000 });
      await running.stop();
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
  printTable('Local stack start (no web app)', starts);

  const health = await loadRow({ url: `${stack.API_URL}/health` });

  printTable('Gateway GET /health (includes a database round trip)', [health]);
  writeResult('stack', { starts, health });
}
