import { createECDH, createDecipheriv, hkdfSync, randomBytes, type ECDH } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pushCerts } from '../setup/push-ca.ts';

// A stand-in push service (RFC 8030) for the functions' web push: HTTPS with a certificate from
// a throwaway test CA (tests/setup/push-ca.ts; the test stack's functions trust it through PUSH_CA_CERTS),
// recording each message, and browsers' subscription keys to decrypt what it received.


export interface PushDelivery {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface PushService {
  url: string;
  deliveries: PushDelivery[];
  /** Endpoints (paths) answered 410 Gone, as when a browser unsubscribed. */
  gone: Set<string>;
  /** Endpoints (paths) answered 503, as a push service that is down. */
  down: Set<string>;
  close(): Promise<void>;
}

export async function startPushService(): Promise<PushService> {
  const certs = pushCerts();
  const deliveries: PushDelivery[] = [];
  const gone = new Set<string>();
  const down = new Set<string>();
  const server: Server = createServer(
    { key: readFileSync(certs.keyPath), cert: readFileSync(certs.certPath) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const p = req.url ?? '/';
        if (gone.has(p) || down.has(p)) {
          res.writeHead(gone.has(p) ? 410 : 503).end();
          return;
        }
        deliveries.push({ path: p, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(201, { Location: `${p}/m/${deliveries.length}` }).end();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    deliveries,
    gone,
    down,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The functions keep their connections to a push service open between requests.
        server.closeAllConnections();
      }),
  };
}

/** A browser's side of a push subscription: the keys it gives the server, and its private key. */
export interface BrowserKeys {
  p256dh: string;
  auth: string;
  ecdh: ECDH;
  authSecret: Buffer;
}

export function browserKeys(): BrowserKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const authSecret = randomBytes(16);
  return { p256dh: ecdh.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url'), ecdh, authSecret };
}

/** Decrypts an aes128gcm push message body (RFC 8188 record, RFC 8291 keys) as the browser would. */
export function decryptPush(body: Buffer, keys: BrowserKeys): string {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const serverKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  if (record.length > recordSize) throw new Error('more than one record');
  const shared = keys.ecdh.computeSecret(serverKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), keys.ecdh.getPublicKey(), serverKey]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, keys.authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then zero padding.
  const end = padded.lastIndexOf(2);
  return padded.subarray(0, end).toString('utf8');
}
