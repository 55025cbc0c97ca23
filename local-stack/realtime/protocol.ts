/**
 * Phoenix channel framing as Supabase Realtime speaks it. vsn 2.0.0 (realtime-js's default)
 * sends JSON arrays `[join_ref, ref, topic, event, payload]` plus binary user-broadcast frames;
 * vsn 1.0.0 sends JSON objects. Frame layouts follow supabase/realtime
 * `lib/realtime_web/socket/v2_serializer.ex` and realtime-js `src/lib/serializer.ts`.
 */

export type Vsn = '1.0.0' | '2.0.0';

/** Binary frame kinds of the V2 serializer. */
const KIND_USER_BROADCAST_PUSH = 3;
const KIND_USER_BROADCAST = 4;
const ENCODING_BINARY = 0;
const ENCODING_JSON = 1;

/** A message from the client, whatever its framing. */
export interface Inbound {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: any;
  /** Set for a binary user-broadcast push: the user payload kept as bytes. */
  user?: UserPayload;
}

/** A broadcast whose user payload travels as bytes (JSON text or opaque binary). */
export interface UserPayload {
  event: string;
  encoding: 'json' | 'binary';
  body: Buffer;
  meta?: Record<string, unknown>;
}

/** Something the server sends to every subscriber of a topic. */
export type Outbound =
  | { kind: 'json'; topic: string; event: string; payload: unknown }
  | ({ kind: 'user'; topic: string } & UserPayload);

export function decode(data: Buffer, isBinary: boolean, vsn: Vsn): Inbound {
  if (isBinary) return decodeBinary(data);
  const parsed = JSON.parse(data.toString('utf8'));
  if (Array.isArray(parsed)) {
    const [joinRef, ref, topic, event, payload] = parsed;
    return { joinRef: joinRef ?? null, ref: ref ?? null, topic, event, payload };
  }
  if (vsn === '1.0.0' || typeof parsed === 'object') {
    return {
      joinRef: parsed.join_ref ?? null,
      ref: parsed.ref ?? null,
      topic: parsed.topic,
      event: parsed.event,
      payload: parsed.payload,
    };
  }
  throw new Error('expected V2 array');
}

function decodeBinary(buf: Buffer): Inbound {
  if (buf[0] !== KIND_USER_BROADCAST_PUSH) throw new Error(`unsupported binary frame kind ${buf[0]}`);
  const joinRefLen = buf[1]!;
  const refLen = buf[2]!;
  const topicLen = buf[3]!;
  const eventLen = buf[4]!;
  const metaLen = buf[5]!;
  const encoding = buf[6] === ENCODING_JSON ? 'json' : 'binary';
  let off = 7;
  const take = (n: number) => {
    const s = buf.subarray(off, off + n).toString('utf8');
    off += n;
    return s;
  };
  const joinRef = take(joinRefLen);
  const ref = take(refLen);
  const topic = take(topicLen);
  const event = take(eventLen);
  const metaText = take(metaLen);
  const body = Buffer.from(buf.subarray(off));
  const user: UserPayload = { event, encoding, body };
  if (metaText) user.meta = JSON.parse(metaText);
  return {
    joinRef: joinRef || null,
    ref: ref || null,
    topic,
    event: 'broadcast',
    payload: { type: 'broadcast', event },
    user,
  };
}

/** A user broadcast as a JSON broadcast payload (V1 sockets and text-framed deliveries). */
export function userToJson(msg: UserPayload): Record<string, unknown> | undefined {
  if (msg.encoding !== 'json') return undefined;
  const out: Record<string, unknown> = { type: 'broadcast', event: msg.event, payload: JSON.parse(msg.body.toString('utf8')) };
  if (msg.meta) out.meta = msg.meta;
  return out;
}

/** Encodes a push/reply addressed to one channel. */
export function encodeMessage(vsn: Vsn, joinRef: string | null, ref: string | null, topic: string, event: string, payload: unknown): string {
  if (vsn === '1.0.0') return JSON.stringify({ topic, event, payload, ref, join_ref: joinRef });
  return JSON.stringify([joinRef, ref, topic, event, payload]);
}

/**
 * Encodes a fan-out message for one protocol version; undefined when that version cannot
 * carry it (binary payloads to V1, as upstream's MessageDispatcher skips them).
 */
export function encodeOutbound(vsn: Vsn, msg: Outbound): string | Buffer | undefined {
  if (msg.kind === 'json') return encodeMessage(vsn, null, null, msg.topic, msg.event, msg.payload);
  if (vsn === '1.0.0') {
    const json = userToJson(msg);
    return json && encodeMessage(vsn, null, null, msg.topic, 'broadcast', json);
  }
  const topic = Buffer.from(msg.topic);
  const event = Buffer.from(msg.event);
  const meta = Buffer.from(msg.meta ? JSON.stringify(msg.meta) : '');
  if (topic.length > 255 || event.length > 255 || meta.length > 255) return undefined;
  const header = Buffer.from([
    KIND_USER_BROADCAST,
    topic.length,
    event.length,
    meta.length,
    msg.encoding === 'json' ? ENCODING_JSON : ENCODING_BINARY,
  ]);
  return Buffer.concat([header, topic, event, meta, msg.body]);
}
