// Web push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payloads (RFC 8291), built with
// Web Crypto by @block65/webcrypto-web-push and sent with fetch: npm:web-push needs node:https.
// Secrets: VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY (base64url, as `web-push generate-vapid-keys`
// prints them) and VAPID_SUBJECT (mailto: or https: contact for the push services).
import { buildPushPayload } from '@block65/webcrypto-web-push';

export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushMessage {
  title: string;
  body: string;
  url: string;
  /** Same tag: the service worker replaces the earlier notification instead of adding one. */
  tag: string;
}

export type PushOutcome = 'sent' | 'gone' | 'failed';

export interface PushResult {
  endpoint: string;
  outcome: PushOutcome;
  detail?: string;
}

export interface PushSender {
  /**
   * Sends to one subscription. `topic` (up to 32 URL-safe characters) lets the push service
   * replace a copy of the same message not yet delivered.
   */
  send(target: PushTarget, message: PushMessage, topic: string): Promise<PushResult>;
}

/** The sender configured by the function's secrets, or null when VAPID keys are not set. */
export function pushSenderFromEnv(): PushSender | null {
  const publicKey = Deno.env.get('VAPID_PUBLIC_KEY');
  const privateKey = Deno.env.get('VAPID_PRIVATE_KEY');
  const subject = Deno.env.get('VAPID_SUBJECT');
  if (!publicKey || !privateKey || !subject) return null;
  // Extra roots for a push service with a private CA (the local stack's tests); PEM text.
  const caCerts = Deno.env.get('PUSH_CA_CERTS');
  const client = caCerts ? Deno.createHttpClient({ caCerts: [caCerts] }) : undefined;
  return {
    async send(target, message, topic) {
      try {
        const payload = await buildPushPayload(
          { data: { ...message }, options: { ttl: 24 * 60 * 60, urgency: 'normal', topic } },
          { endpoint: target.endpoint, expirationTime: null, keys: { p256dh: target.p256dh, auth: target.auth } },
          { subject, publicKey, privateKey },
        );
        const res = await fetch(target.endpoint, { ...payload, client, signal: AbortSignal.timeout(10_000) } as RequestInit);
        await res.body?.cancel();
        // RFC 8030 §7.3: 404 and 410 mean the subscription is gone for good.
        if (res.status === 404 || res.status === 410) return { endpoint: target.endpoint, outcome: 'gone', detail: `HTTP ${res.status}` };
        if (res.ok) return { endpoint: target.endpoint, outcome: 'sent' };
        return { endpoint: target.endpoint, outcome: 'failed', detail: `HTTP ${res.status}` };
      } catch (err) {
        return { endpoint: target.endpoint, outcome: 'failed', detail: (err as Error).message };
      }
    },
  };
}
