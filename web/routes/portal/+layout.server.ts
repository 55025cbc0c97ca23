import type { LayoutServerLoad } from './$types';

// The hooks' authGuard lets only residents reach /portal; this file makes client-side
// navigations here ask the server, so the guard runs on each one.
export const load: LayoutServerLoad = async () => ({});
