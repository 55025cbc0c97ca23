import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { WebSocket } from 'ws';
import type { Logger } from '../log.ts';
import { AuthorizationError, readGrants, writeGrants, type AuthContext, type Extension, type Grants } from './authorization.ts';
import { decode, encodeMessage, encodeOutbound, type Inbound, type Outbound, type UserPayload, type Vsn } from './protocol.ts';
import { parseFilter, type PgSubscription } from './filter.ts';
import { ChannelError, confirmToken, joinTokenReason, reason, type Claims, type Verify } from './token.ts';

/** Phoenix's socket idle timeout: a client silent this long (no heartbeat) is dropped. */
const IDLE_TIMEOUT_MS = 60_000;
/** Upstream re-checks a channel's token at most every 5 minutes (`@confirm_token_ms_interval`). */
const CONFIRM_TOKEN_MS = 5 * 60_000;
/**
 * A client whose unsent frames exceed this is too slow to keep: it is dropped instead of
 * letting its buffer grow (upstream drops sockets whose mailbox exceeds max_heap_size).
 */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Upstream's default tenant `max_payload_size_in_kb`. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

interface PresenceEntry {
  channel: Channel;
  ref: string;
  meta: Record<string, unknown>;
}

/** One websocket: its protocol version and the channels joined over it. */
export class Conn {
  readonly channels = new Map<string, Channel>();
  private idle: NodeJS.Timeout | undefined;

  constructor(
    readonly hub: Hub,
    readonly ws: WebSocket,
    readonly vsn: Vsn,
    readonly apikey: string,
    readonly headers: Record<string, string>,
  ) {
    this.touch();
    ws.on('message', (data, isBinary) => {
      this.touch();
      void this.onMessage(data as Buffer, isBinary);
    });
    ws.on('close', () => this.close());
    ws.on('error', () => this.close());
  }

  private touch() {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.ws.terminate(), IDLE_TIMEOUT_MS);
    this.idle.unref();
  }

  send(frame: string | Buffer) {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.hub.logger.warn('realtime dropped a client that stopped reading');
      this.ws.terminate();
      this.close();
      return;
    }
    this.ws.send(frame);
  }

  push(joinRef: string | null, ref: string | null, topic: string, event: string, payload: unknown) {
    this.send(encodeMessage(this.vsn, joinRef, ref, topic, event, payload));
  }

  reply(msg: Inbound, status: 'ok' | 'error', response: unknown) {
    this.push(msg.joinRef, msg.ref, msg.topic, 'phx_reply', { status, response });
  }

  private async onMessage(data: Buffer, isBinary: boolean) {
    let msg: Inbound;
    try {
      msg = decode(data, isBinary, this.vsn);
    } catch {
      // Phoenix closes a socket that sends an undecodable frame.
      this.ws.close(1003);
      return;
    }
    try {
      if (msg.topic === 'phoenix' && msg.event === 'heartbeat') return this.reply(msg, 'ok', {});
      if (msg.event === 'phx_join') return await this.join(msg);
      const channel = this.channels.get(msg.topic);
      if (!channel || (msg.joinRef && channel.joinRef !== msg.joinRef)) {
        // Phoenix's answer to a push on a topic this socket has not joined.
        return this.reply(msg, 'error', { reason: 'unmatched topic' });
      }
      await channel.handle(msg);
    } catch (err) {
      this.hub.logger.error({ err }, 'realtime message failed');
    }
  }

  private async join(msg: Inbound) {
    const existing = this.channels.get(msg.topic);
    if (existing) {
      // Phoenix closes the earlier channel when a topic is joined again on the same socket.
      existing.close(true);
    }
    const channel = new Channel(this, msg.topic, msg.joinRef ?? msg.ref ?? '');
    this.channels.set(msg.topic, channel);
    try {
      const response = await channel.join(msg.payload ?? {});
      if (this.channels.get(msg.topic) !== channel) return;
      this.reply(msg, 'ok', response);
      channel.afterJoin();
    } catch (err) {
      if (this.channels.get(msg.topic) === channel) this.channels.delete(msg.topic);
      channel.dispose();
      const why = err instanceof ChannelError ? err.message : 'Unknown Error on Channel';
      if (!(err instanceof ChannelError)) this.hub.logger.error({ err }, 'realtime join failed');
      this.reply(msg, 'error', { reason: why });
    }
  }

  close() {
    clearTimeout(this.idle);
    for (const channel of [...this.channels.values()]) channel.close(false);
    this.channels.clear();
    this.hub.conns.delete(this);
  }
}

/** One joined topic on one socket. */
export class Channel {
  readonly sub: string;
  private: boolean = false;
  self = false;
  ack = false;
  presenceKey = '';
  presenceEnabled = false;
  token = '';
  claims: Claims = {};
  read: Partial<Grants> = {};
  write: Partial<Grants> = {};
  pgSubs: PgSubscription[] = [];
  private expiry: NodeJS.Timeout | undefined;
  private joined = false;

  constructor(
    readonly conn: Conn,
    readonly topic: string,
    readonly joinRef: string,
  ) {
    this.sub = topic.startsWith('realtime:') ? topic.slice('realtime:'.length) : topic;
  }

  get hub() {
    return this.conn.hub;
  }

  /** Registry key: a public and a private channel of the same name are distinct. */
  get key() {
    return `${this.private ? 'private' : 'public'}:${this.sub}`;
  }

  authContext(): AuthContext {
    return {
      topic: this.sub,
      claims: this.claims,
      role: String(this.claims.role),
      sub: typeof this.claims.sub === 'string' ? this.claims.sub : undefined,
      headers: this.conn.headers,
    };
  }

  async join(payload: Record<string, any>): Promise<unknown> {
    if (!this.topic.startsWith('realtime:') || this.sub === '') {
      throw reason('TopicNameRequired', 'You must provide a topic name');
    }
    const config = payload.config ?? {};
    this.private = config.private === true || config.private === 'true';
    this.self = config.broadcast?.self === true;
    this.ack = config.broadcast?.ack === true;
    this.presenceKey = typeof config.presence?.key === 'string' && config.presence.key !== '' ? config.presence.key : randomUUID();
    this.presenceEnabled = config.presence?.enabled === true;
    const token = payload.access_token ?? payload.user_token;
    // `sb_` API keys are not JWTs; upstream then uses the key the socket connected with.
    this.token = typeof token === 'string' && !token.startsWith('sb_') ? token : this.conn.apikey;
    try {
      this.claims = await confirmToken(this.hub.verify, this.token);
    } catch (err) {
      throw joinTokenReason(err as Error);
    }
    if (this.private) await this.authorizeRead(true);
    const pgParams: any[] = Array.isArray(config.postgres_changes) ? config.postgres_changes.filter(Boolean) : [];
    this.pgSubs = pgParams.map((params) => ({ params, id: subscriptionId(params), filter: parseFilter(params.filter) }));
    this.scheduleTokenCheck();
    this.joined = true;
    this.hub.subscribe(this);
    // The join reply echoes each postgres_changes binding with the id its events will carry.
    return { postgres_changes: this.pgSubs.map((s) => ({ ...s.params, id: s.id })) };
  }

  /** Runs once the join reply is on the wire, like upstream's `send(self(), ...)` steps. */
  afterJoin() {
    if (this.presenceEnabled) this.hub.pushPresenceState(this);
    if (this.pgSubs.length) {
      this.hub.pg?.ensureTables(this.pgSubs).then(
        () => this.push('system', { extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL', channel: this.sub }),
        (err: Error) => this.push('system', { extension: 'postgres_changes', status: 'error', message: err.message, channel: this.sub }),
      );
    }
  }

  private async authorizeRead(atJoin: boolean) {
    const extensions: Extension[] = this.presenceEnabled ? ['broadcast', 'presence'] : ['broadcast'];
    try {
      this.read = await readGrants(this.hub.pool, this.authContext(), extensions);
      this.write = {};
    } catch (err) {
      if (err instanceof AuthorizationError && err.kind === 'database_unavailable') {
        throw reason('UnableToConnectToProject', 'Realtime was unable to connect to the project database');
      }
      this.read = {};
    }
    if (!this.read.broadcast && !this.read.presence) {
      const msg = `You do not have permissions to read from this Channel topic: ${this.sub}`;
      throw atJoin ? reason('Unauthorized', msg) : new ChannelError(msg);
    }
  }

  private async canWrite(ext: Extension): Promise<boolean> {
    if (!this.private) return true;
    if (this.write[ext] === undefined) {
      try {
        Object.assign(this.write, await writeGrants(this.hub.pool, this.authContext(), [ext]));
      } catch {
        return false;
      }
    }
    return this.write[ext] === true;
  }

  private scheduleTokenCheck() {
    clearTimeout(this.expiry);
    const exp = Number(this.claims.exp);
    const ms = Math.max(0, Math.min(CONFIRM_TOKEN_MS, exp * 1000 - Date.now()));
    this.expiry = setTimeout(() => void this.confirmAgain(), ms);
    this.expiry.unref();
  }

  private async confirmAgain() {
    try {
      this.claims = await confirmToken(this.hub.verify, this.token);
      this.scheduleTokenCheck();
    } catch (err) {
      this.shutdown((err as Error).message);
    }
  }

  /** Upstream's shutdown_response: a `system` error, then the channel closes. */
  shutdown(message: string) {
    this.push('system', { extension: 'system', status: 'error', message, channel: this.sub });
    this.close(true);
  }

  push(event: string, payload: unknown) {
    this.conn.push(this.joinRef, null, this.topic, event, payload);
  }

  async handle(msg: Inbound) {
    switch (msg.event) {
      case 'phx_leave':
        this.conn.reply(msg, 'ok', {});
        this.close(true);
        return;
      case 'broadcast':
        return this.onBroadcast(msg);
      case 'presence':
        return this.onPresence(msg);
      case 'access_token':
        return this.onAccessToken(msg.payload?.access_token);
      default:
        // Upstream logs and ignores unexpected client events.
        return;
    }
  }

  private async onBroadcast(msg: Inbound) {
    if (!(await this.canWrite('broadcast'))) return;
    const user: UserPayload | undefined = msg.user;
    const size = user ? user.body.length : Buffer.byteLength(JSON.stringify(msg.payload ?? {}));
    if (size > MAX_PAYLOAD_BYTES) {
      if (this.ack) this.conn.reply(msg, 'error', 'payload_size_exceeded');
      return;
    }
    const out: Outbound = user
      ? { kind: 'user', topic: this.topic, ...user, meta: undefined }
      : { kind: 'json', topic: this.topic, event: 'broadcast', payload: msg.payload };
    this.hub.deliver(this.key, out, this.self ? undefined : this);
    if (this.ack) this.conn.reply(msg, 'ok', {});
  }

  private async onPresence(msg: Inbound) {
    const p = msg.payload ?? {};
    if (p.event === 'track') {
      if (p.payload !== undefined && (typeof p.payload !== 'object' || p.payload === null || Array.isArray(p.payload))) {
        return this.conn.reply(msg, 'error', { reason: 'Presence track payload must be a map' });
      }
      if (!(await this.canWrite('presence'))) return this.conn.reply(msg, 'error', {});
      if (!this.presenceEnabled) {
        // A track turns presence on for the channel (upstream's PresenceHandler auto-enable).
        this.presenceEnabled = true;
        if (this.private && this.read.presence === undefined) {
          try {
            Object.assign(this.read, await readGrants(this.hub.pool, this.authContext(), ['presence']));
          } catch {
            this.read.presence = false;
          }
        }
        this.hub.pushPresenceState(this);
      }
      this.hub.track(this, p.payload ?? {});
      return this.conn.reply(msg, 'ok', {});
    }
    if (p.event === 'untrack') {
      this.hub.untrack(this);
      return this.conn.reply(msg, 'ok', {});
    }
    return this.conn.reply(msg, 'error', {});
  }

  private async onAccessToken(token: unknown) {
    if (typeof token !== 'string' || token.startsWith('sb_') || token === this.token) return;
    const before = { ...this.read };
    this.token = token;
    try {
      this.claims = await confirmToken(this.hub.verify, token);
    } catch (err) {
      return this.shutdown((err as Error).message);
    }
    if (this.private) {
      try {
        await this.authorizeRead(false);
      } catch (err) {
        return this.shutdown(err instanceof ChannelError ? err.message : 'Realtime was unable to connect to the project database');
      }
      if ((before.broadcast && !this.read.broadcast) || (before.presence && !this.read.presence)) {
        return this.shutdown(`You no longer have permission to read from this Channel topic: ${this.sub}`);
      }
    }
    this.scheduleTokenCheck();
  }

  /** Leaves the topic; `notify` tells the client with `phx_close`, as a channel that stops does. */
  close(notify: boolean) {
    if (this.conn.channels.get(this.topic) === this) this.conn.channels.delete(this.topic);
    if (notify && this.joined) this.push('phx_close', {});
    this.dispose();
  }

  dispose() {
    clearTimeout(this.expiry);
    if (this.joined) {
      this.joined = false;
      this.hub.untrack(this);
      this.hub.unsubscribe(this);
    }
  }
}

/** Upstream ids a postgres_changes binding by `:erlang.phash2(params)`: a 27-bit integer. */
function subscriptionId(params: Record<string, unknown>): number {
  const text = JSON.stringify(params, Object.keys(params).sort());
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h & 0x7ffffff;
}

export interface PgChanges {
  ensureTables(subs: PgSubscription[]): Promise<void>;
}

/** Every socket and topic of one Realtime service. */
export class Hub {
  readonly conns = new Set<Conn>();
  private readonly topics = new Map<string, Set<Channel>>();
  private readonly presence = new Map<string, Map<string, PresenceEntry[]>>();
  pg: PgChanges | undefined;
  /** Joined channels with postgres_changes bindings; while zero the feed skips table rows. */
  pgSubscriptions = 0;

  constructor(
    readonly pool: pg.Pool,
    readonly verify: Verify,
    readonly logger: Logger,
  ) {}

  subscribe(channel: Channel) {
    let set = this.topics.get(channel.key);
    if (!set) this.topics.set(channel.key, (set = new Set()));
    set.add(channel);
    if (channel.pgSubs.length) this.pgSubscriptions++;
  }

  unsubscribe(channel: Channel) {
    const set = this.topics.get(channel.key);
    if (set?.delete(channel) && channel.pgSubs.length) this.pgSubscriptions--;
    if (set?.size === 0) this.topics.delete(channel.key);
  }

  /** Every joined channel (postgres_changes matching walks them). */
  *channels(): Iterable<Channel> {
    for (const set of this.topics.values()) yield* set;
  }

  /** Fans a message out to a topic; frames are encoded once per protocol version. */
  deliver(key: string, msg: Outbound, except?: Channel, extension: Extension = 'broadcast') {
    const set = this.topics.get(key);
    if (!set) return;
    const frames = new Map<Vsn, string | Buffer | undefined>();
    for (const channel of set) {
      if (channel === except) continue;
      if (channel.private && !channel.read[extension]) continue;
      const vsn = channel.conn.vsn;
      if (!frames.has(vsn)) frames.set(vsn, encodeOutbound(vsn, msg));
      const frame = frames.get(vsn);
      if (frame !== undefined) channel.conn.send(frame);
    }
  }

  private presenceOf(key: string) {
    let m = this.presence.get(key);
    if (!m) this.presence.set(key, (m = new Map()));
    return m;
  }

  private static state(entries: Map<string, PresenceEntry[]>) {
    const out: Record<string, { metas: unknown[] }> = {};
    for (const [k, list] of entries) if (list.length) out[k] = { metas: list.map((e) => ({ ...e.meta, phx_ref: e.ref })) };
    return out;
  }

  pushPresenceState(channel: Channel) {
    if (channel.private && !channel.read.presence) return;
    channel.push('presence_state', Hub.state(this.presenceOf(channel.key)));
  }

  track(channel: Channel, meta: Record<string, unknown>) {
    const entries = this.presenceOf(channel.key);
    const list = entries.get(channel.presenceKey) ?? [];
    const previous = list.find((e) => e.channel === channel);
    const entry: PresenceEntry = { channel, ref: presenceRef(), meta };
    const leaves: Record<string, { metas: unknown[] }> = {};
    if (previous) {
      list.splice(list.indexOf(previous), 1);
      leaves[channel.presenceKey] = { metas: [{ ...previous.meta, phx_ref: previous.ref }] };
    }
    list.push(entry);
    entries.set(channel.presenceKey, list);
    const joinMeta: Record<string, unknown> = { ...meta, phx_ref: entry.ref };
    if (previous) joinMeta.phx_ref_prev = previous.ref;
    this.presenceDiff(channel.key, { [channel.presenceKey]: { metas: [joinMeta] } }, leaves);
  }

  untrack(channel: Channel) {
    const entries = this.presence.get(channel.key);
    const list = entries?.get(channel.presenceKey);
    const previous = list?.find((e) => e.channel === channel);
    if (!entries || !list || !previous) return;
    list.splice(list.indexOf(previous), 1);
    if (!list.length) entries.delete(channel.presenceKey);
    if (!entries.size) this.presence.delete(channel.key);
    this.presenceDiff(channel.key, {}, { [channel.presenceKey]: { metas: [{ ...previous.meta, phx_ref: previous.ref }] } });
  }

  private presenceDiff(key: string, joins: Record<string, unknown>, leaves: Record<string, unknown>) {
    const set = this.topics.get(key);
    if (!set) return;
    for (const channel of set) {
      if (channel.private && !channel.read.presence) continue;
      channel.push('presence_diff', { joins, leaves });
    }
  }

  close() {
    for (const conn of [...this.conns]) {
      conn.ws.terminate();
      conn.close();
    }
  }
}

/** Phoenix.Presence refs are short base64 strings; uniqueness is what matters. */
function presenceRef() {
  return randomUUID().replace(/-/g, '').slice(0, 16);
}
