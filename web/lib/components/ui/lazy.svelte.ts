import type { Component } from 'svelte';
import { reportError } from '$lib/errors.ts';

/**
 * A component fetched the first time someone reaches for it (a menu, a popover, a dialog), so
 * the page's first load carries only a plain trigger. The module is fetched once and shared by
 * every instance; `prefetch` warms it on hover or focus so the click finds it ready.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function lazy<P extends Record<string, any>>(loader: () => Promise<{ default: Component<P> }>) {
  let loaded = $state<Component<P> | null>(null);
  let pending: Promise<Component<P>> | undefined;
  function load(): Promise<Component<P>> {
    pending ??= loader().then(
      (m) => (loaded = m.default),
      (err: unknown) => {
        pending = undefined; // offline for a moment: the next click tries again
        throw err;
      },
    );
    return pending;
  }
  return {
    /** The component once fetched, else null. */
    get component(): Component<P> | null {
      return loaded;
    },
    load,
    prefetch(): void {
      load().catch(() => undefined);
    },
    /** Loads it for someone who reached for it: true once ready; a failure is told as a toast. */
    async use(): Promise<boolean> {
      try {
        await load();
        return true;
      } catch (err) {
        reportError(err);
        return false;
      }
    },
  };
}
