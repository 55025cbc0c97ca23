// Our npm registry mirror carries only the Linux x64 builds of platform-specific packages
// (deno, rollup, the Supabase CLI, …), so `npm install` writes a package-lock.json without the
// other platforms' optional entries, and `npm ci` then refuses the lock as out of sync. This adds
// those entries as optional, with the os / cpu / libc their names state, which npm skips on any
// machine they do not fit. Run it after every `npm install` that changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));

const OS = { darwin: 'darwin', linux: 'linux', win32: 'win32', windows: 'win32', android: 'android', freebsd: 'freebsd', openbsd: 'openbsd', netbsd: 'netbsd', sunos: 'sunos', aix: 'aix', openharmony: 'openharmony' };
const CPU = [['arm64', 'arm64'], ['aarch64', 'arm64'], ['x64', 'x64'], ['x86_64', 'x64'], ['ia32', 'ia32'], ['riscv64', 'riscv64'], ['ppc64', 'ppc64'], ['s390x', 's390x'], ['loong64', 'loong64'], ['mips64el', 'mips64el'], ['wasm32', 'wasm32'], ['arm', 'arm']];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.map((p) => OS[p]).find(Boolean);
  const cpu = CPU.find(([token]) => parts.some((p) => p === token || p.startsWith(token)))?.[1];
  const libc = parts.some((p) => p.includes('musl')) ? 'musl' : os === 'linux' ? 'glibc' : undefined;
  return { os, cpu, libc };
}

let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [dep, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = key ? `${key}/node_modules/${dep}` : `node_modules/${dep}`;
    if (lock.packages[base] || lock.packages[`node_modules/${dep}`]) continue;
    const { os, cpu, libc } = platformOf(dep);
    if (!os || !cpu) throw new Error(`cannot tell the platform of optional dependency ${dep}; add its lock entry by hand`);
    if (os === 'linux' && cpu === 'x64' && libc === 'glibc') {
      throw new Error(`${dep} fits this machine but is not installed: run \`npm install\` again`);
    }
    lock.packages[`node_modules/${dep}`] = {
      version: spec.replace(/^[\^~=]/, ''),
      cpu: [cpu],
      ...(libc ? { libc: [libc] } : {}),
      optional: true,
      os: [os],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`package-lock.json: ${added} optional platform entries added.\n`);
