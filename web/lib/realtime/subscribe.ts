import type { RealtimeChannel } from '@supabase/supabase-js';
import type { Entity } from '$lib/queries/keys.ts';
import type { Client } from '$lib/supabase/types.ts';
import { entitiesFor } from './messages.ts';

export interface Topics {
  orgId: string;
  userId: string;
  /** Owners, admins, managers and viewers also receive the org's finance topic. */
  finance: boolean;
}

/**
 * One private channel per topic the database broadcasts on for this member; every message turns
 * into the entities whose cached lists are stale. Returns the way to leave them all.
 */
export function subscribeTopics(client: Client, t: Topics, onStale: (entities: Entity[]) => void): () => void {
  const names = [`org:${t.orgId}`, ...(t.finance ? [`org:${t.orgId}:finance`] : []), `user:${t.userId}`];
  let channels: RealtimeChannel[] = [];
  let closed = false;
  (async () => {
    // Private channels authorize with the user's access token (RLS on realtime.messages).
    await client.realtime.setAuth();
    if (closed) return;
    channels = names.map((name) =>
      client
        .channel(name, { config: { private: true } })
        .on('broadcast', { event: '*' }, ({ event, payload }) => {
          const stale = entitiesFor(event, payload);
          if (stale.length) onStale(stale);
        })
        .subscribe(),
    );
  })();
  return () => {
    closed = true;
    for (const ch of channels) client.removeChannel(ch);
  };
}
