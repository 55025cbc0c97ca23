/** Where Auth's email links land: the PKCE callback, which then continues to `next`. */
export function callbackUrl(origin: string, next: string): string {
  return `${origin}/auth/callback?next=${encodeURIComponent(next)}`;
}
