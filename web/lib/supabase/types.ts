import type { SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '$lib/database.types.ts';

/** The client every data function takes first: the browser's, or the request's on the server. */
export type Client = SupabaseClient<Database>;
