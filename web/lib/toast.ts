/**
 * Toasts without svelte-sonner in the first load (~17 KB gzipped): the library is fetched the
 * first time a toast is shown, and the Toaster mounts then (svelte-sonner keeps the toasts
 * asked for in the meantime and shows them when it mounts).
 */
type Kind = 'success' | 'error' | 'info';
type Options = { description?: string; duration?: number };
type Sonner = typeof import('svelte-sonner');

let sonner: Promise<Sonner> | undefined;
const waiting = new Set<(m: Sonner) => void>();

/** svelte-sonner, loaded once; tells whoever waits for it (the Toaster). */
function loadSonner(): Promise<Sonner> {
  sonner ??= import('svelte-sonner').then(
    (m) => {
      for (const fn of waiting) fn(m);
      return m;
    },
    (err: unknown) => {
      sonner = undefined;
      throw err;
    },
  );
  return sonner;
}

/** Calls `fn` once svelte-sonner is loaded (now, if it is); returns the unsubscribe. */
export function whenSonnerLoaded(fn: (m: Sonner) => void): () => void {
  waiting.add(fn);
  if (sonner) void sonner.then(fn, () => undefined);
  return () => waiting.delete(fn);
}

function show(kind: Kind, message: string, options?: Options): void {
  loadSonner().then(
    ({ toast: t }) => t[kind](message, options),
    // Offline and the toast library cannot be fetched: say it the plain way.
    () => console.warn(`${kind}: ${message}`),
  );
}

export const toast = {
  success: (message: string, options?: Options) => show('success', message, options),
  error: (message: string, options?: Options) => show('error', message, options),
  info: (message: string, options?: Options) => show('info', message, options),
};
