import type { Claims } from '$lib/auth/claims.ts';
import type { Client } from '$lib/supabase/types.ts';

declare global {
  namespace App {
    interface Locals {
      supabase: Client;
      /** Verifies the access token with Auth (never trusts the cookie alone); null when signed out. */
      getClaims(): Promise<Claims | null>;
    }
    interface PageData {
      claims: Claims | null;
    }
    interface Error {
      message: string;
    }
  }
}

export {};
