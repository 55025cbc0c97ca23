import type { Tables } from '$lib/database.types.ts';
import type { Client } from '$lib/supabase/types.ts';

export type Notification = Tables<'notifications'>;
export type NotificationList = { items: Notification[]; unread: number };

/** The user's latest notifications in the active org, and how many are unread. */
export async function listNotifications(client: Client, orgId: string, userId: string): Promise<NotificationList> {
  const [items, unread] = await Promise.all([
    client.from('notifications').select('*').eq('org_id', orgId).eq('user_id', userId).order('created_at', { ascending: false }).limit(20),
    client.from('notifications').select('id', { count: 'exact', head: true }).eq('org_id', orgId).eq('user_id', userId).is('read_at', null),
  ]);
  if (items.error) throw items.error;
  if (unread.error) throw unread.error;
  return { items: items.data ?? [], unread: unread.count ?? 0 };
}

export async function markAllRead(client: Client, orgId: string, userId: string): Promise<void> {
  const { error } = await client.from('notifications').update({ read_at: new Date().toISOString() }).eq('org_id', orgId).eq('user_id', userId).is('read_at', null);
  if (error) throw error;
}
