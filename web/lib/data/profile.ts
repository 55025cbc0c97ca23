import type { Tables } from '$lib/database.types.ts';
import type { Client } from '$lib/supabase/types.ts';

export type Profile = Tables<'profiles'>;

/** The signed-in user's profile (every user has one, made when they signed up). */
export async function getProfile(client: Client, userId: string): Promise<Profile | null> {
  const { data, error } = await client.from('profiles').select('*').eq('user_id', userId).maybeSingle();
  if (error) throw error;
  return data;
}

export async function updateProfile(client: Client, userId: string, fullName: string): Promise<void> {
  const { error } = await client.from('profiles').update({ full_name: fullName }).eq('user_id', userId);
  if (error) throw error;
}
