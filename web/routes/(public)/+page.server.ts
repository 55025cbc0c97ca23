import type { PageServerLoad } from './$types';

// Makes a client-side navigation to / ask the server, so the hooks send a signed-in user home.
export const load: PageServerLoad = async () => ({});
