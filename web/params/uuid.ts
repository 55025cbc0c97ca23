import type { ParamMatcher } from '@sveltejs/kit';

/** `[id=uuid]`: any other value is a 404 before a query runs. */
export const match: ParamMatcher = (param) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(param);
