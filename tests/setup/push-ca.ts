import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../local-stack/config.ts';

/**
 * A throwaway CA and a certificate for 127.0.0.1, made with openssl on first use under the
 * git-ignored .lintel/ (never committed): tests/functions/push-service.ts serves web push over
 * HTTPS with it, and the test stack's functions trust the CA through PUSH_CA_CERTS.
 */
export const PUSH_CA_DIR = path.join(PROJECT_ROOT, '.lintel', 'test-push-ca');

export function pushCerts(): { caPem: string; keyPath: string; certPath: string } {
  const keyPath = path.join(PUSH_CA_DIR, 'tls.key');
  const certPath = path.join(PUSH_CA_DIR, 'tls.crt');
  const caPath = path.join(PUSH_CA_DIR, 'ca.crt');
  if (!existsSync(certPath)) {
    const tmp = `${PUSH_CA_DIR}.${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: tmp, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650',
      '-subj', '/CN=Lintel test push CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(path.join(tmp, 'leaf.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.crt', '-days', '3650', '-extfile', 'leaf.ext');
    mkdirSync(path.dirname(PUSH_CA_DIR), { recursive: true });
    try {
      renameSync(tmp, PUSH_CA_DIR);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process made it first
    }
  }
  return { caPem: readFileSync(caPath, 'utf8'), keyPath, certPath };
}
