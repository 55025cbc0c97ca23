// Runs before `npm start` / `npm test` with nothing but Node itself: installs the npm
// dependencies when they are missing or older than package-lock.json and, with --browser,
// Debian's Chromium for the end-to-end tests. Plain JS on purpose: it runs before tsx exists,
// on whatever Node the machine has.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PINNED_NODE = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies.node;

function run(cmd, args, env) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: env ?? process.env });
  return res.status === 0;
}

function fail(sentence) {
  process.stderr.write(`\n✖ ${sentence}\n`);
  process.exit(1);
}

function nodeVersion(bin) {
  if (!existsSync(bin)) return '';
  return (spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout ?? '').trim();
}

/** npm's own entry script, so it can be run by the project's Node instead of the machine's. */
function npmCli() {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && /npm-cli\.js$/.test(fromNpm)) return fromNpm;
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (!which) fail('npm is not on the PATH: install Node.js with npm 11 and run this again.');
  return realpathSync(which);
}

/**
 * The project's pinned Node (the `node` dev dependency) runs every npm script. `npm ci` itself
 * runs on it too, so packages that need a newer Node than the machine's install without engine
 * warnings: on a fresh machine the pinned Node is first fetched on its own into .lintel/.
 */
function pinnedNode() {
  const projectNode = path.join(root, 'node_modules', 'node', 'bin', 'node');
  if (nodeVersion(projectNode) === `v${PINNED_NODE}`) return { bin: projectNode };
  const dir = path.join(root, '.lintel', 'node-bootstrap');
  const bin = path.join(dir, 'node_modules', 'node', 'bin', 'node');
  if (nodeVersion(bin) !== `v${PINNED_NODE}`) {
    process.stdout.write(`Fetching Node ${PINNED_NODE} for the project (npm package \`node\`)…\n`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'lintel-node-bootstrap', private: true, allowScripts: { node: true }, dependencies: { node: PINNED_NODE } }),
    );
    if (!run('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-package-lock'])) {
      fail(`npm could not install Node ${PINNED_NODE} (see the output above); the npm registry must be reachable.`);
    }
  }
  return { bin, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// Installed means: node_modules was made from this exact package-lock.json. `npm ci` (never
// `npm install`, which may rewrite the lock) brings it there; a fresh `npm ci` by CI counts.
const stamp = path.join(root, 'node_modules', '.lintel-installed');
const lockHash = existsSync(lock) ? createHash('sha256').update(readFileSync(lock)).digest('hex') : '';
const stampHash = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
const freshInstall = existsSync(installed) && existsSync(lock) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs;
if (stampHash !== lockHash && !(stampHash === '' && freshInstall)) {
  const node = pinnedNode();
  process.stdout.write(`Installing npm dependencies (npm ci, on Node ${PINNED_NODE})…\n`);
  const env = { ...process.env, PATH: `${path.dirname(node.bin)}${path.delimiter}${process.env.PATH ?? ''}` };
  if (!run(node.bin, [npmCli(), 'ci', '--no-audit', '--no-fund'], env)) {
    fail('npm could not install the dependencies (see the output above); the npm registry must be reachable.');
  }
  node.cleanup?.();
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
