import type { LayoutServerLoad } from './$types';

// The hooks' authGuard lets only staff of an org reach /app; this file makes every client-side
// navigation here ask the server, so the guard runs on each one.
export const load: LayoutServerLoad = async () => ({});
