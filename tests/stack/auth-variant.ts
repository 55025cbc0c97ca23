import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../local-stack/config.ts';
import { startAuth } from '../../local-stack/auth/index.ts';
import { startGateway } from '../../local-stack/gateway/index.ts';
import { createJwtVerifier } from '../../local-stack/jwt.ts';
import { createLogger } from '../../local-stack/log.ts';
import { startMail } from '../../local-stack/mail/index.ts';
import { freePort } from '../setup/test-stack.ts';

export interface AuthVariant {
  API_URL: string;
  MAIL_URL: string;
  stop(): Promise<void>;
}

/**
 * A second auth service (own gateway and mail outbox, the test stack's database) with
 * `[auth]` settings overlaid on config.toml, for behaviour the project's own settings switch
 * off: the access token hook, anonymous sign-in, signup off, asymmetric signing keys.
 */
export async function startAuthVariant(dbUrl: string, overrides: Record<string, unknown>): Promise<AuthVariant> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'lintel-auth-'));
  const [api, mailPort, smtpPort] = [await freePort(), await freePort(), await freePort()];
  const config = loadConfig({ stateDir, externalDbUrl: dbUrl, ports: { api, mail: mailPort, smtp: smtpPort } });
  const logger = createLogger('auth-variant', { level: 'silent' });
  const mail = await startMail({ host: config.host, port: mailPort, smtpPort, stateDir, logger });
  const gateway = await startGateway({ host: config.host, port: api, logger });
  const auth = await startAuth(
    { config, dbUrl, logger, mail, verifyJwt: createJwtVerifier({ secret: config.keys.jwtSecret }) },
    { overrides },
  );
  gateway.mount(auth);
  return {
    API_URL: gateway.url,
    MAIL_URL: mail.url,
    async stop() {
      await gateway.stop();
      await mail.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
