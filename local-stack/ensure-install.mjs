// Runs before `npm start` / `npm test` with nothing but Node itself: installs the npm
// dependencies when they are missing or older than package-lock.json and, with --browser,
// Debian's Chromium for the end-to-end tests. Plain JS on purpose: it runs before tsx exists.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

// Installed means: node_modules was made from this exact package-lock.json. `npm ci` (never
// `npm install`, which may rewrite the lock) brings it there; a fresh `npm ci` by CI counts.
const stamp = path.join(root, 'node_modules', '.lintel-installed');
const lockHash = existsSync(lock) ? createHash('sha256').update(readFileSync(lock)).digest('hex') : '';
const stampHash = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
const freshInstall = existsSync(installed) && existsSync(lock) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs;
if (stampHash !== lockHash && !(stampHash === '' && freshInstall)) {
  process.stdout.write('Installing npm dependencies (npm ci)…\n');
  if (!run('npm', ['ci', '--no-audit', '--no-fund'])) {
    fail('npm could not install the dependencies (see the output above); the npm registry must be reachable.');
  }
}
if (existsSync(path.join(root, 'node_modules'))) writeFileSync(stamp, `${lockHash}\n`);

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
