// Runs before `npm start` / `npm test` with nothing but Node itself: installs the npm
// dependencies when they are missing or older than package-lock.json and, with --browser,
// Debian's Chromium for the end-to-end tests. Plain JS on purpose: it runs before tsx exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function run(cmd, args) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  return res.status === 0;
}

function fail(sentence) {
  process.stderr.write(`\n✖ ${sentence}\n`);
  process.exit(1);
}

const stale = !existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs);
if (stale) {
  process.stdout.write('Installing npm dependencies…\n');
  const ok = existsSync(path.join(root, 'node_modules')) ? run('npm', ['install', '--no-audit', '--no-fund']) : run('npm', ['ci', '--no-audit', '--no-fund']);
  if (!ok) fail('npm could not install the dependencies (see the output above); the npm registry must be reachable.');
}

if (process.argv.includes('--browser') && !existsSync(CHROMIUM)) {
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get') && !process.env.LINTEL_NO_AUTO_INSTALL) {
    process.stdout.write('Installing Debian\'s chromium for the end-to-end tests…\n');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'chromium']);
  }
  if (!existsSync(CHROMIUM)) {
    fail(`Chromium is missing at ${CHROMIUM}, and the end-to-end tests need it: install Debian's \`chromium\` package (or set CHROMIUM_PATH).`);
  }
}
