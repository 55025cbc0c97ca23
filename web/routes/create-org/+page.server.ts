import type { PageServerLoad } from './$types';

// Signed-in only (hooks' authGuard); this file makes client navigations here ask the server.
export const load: PageServerLoad = async () => ({});
