import { test as base, expect } from '@playwright/test';

/** The one fixture file for end-to-end tests; persona fixtures (asManager, asResident) join here. */
export const test = base.extend<{ stack: Record<string, string> }>({
  // eslint-disable-next-line no-empty-pattern
  stack: async ({}, use) => {
    const { readFileSync } = await import('node:fs');
    await use(JSON.parse(readFileSync(process.env.LINTEL_TEST_STACK!, 'utf8')) as Record<string, string>);
  },
});

export { expect };
