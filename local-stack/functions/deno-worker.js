// Runs inside Deno, one process per edge function: imports the function's module, takes the
// handler it gives `Deno.serve` and serves it on a loopback port the functions service proxies
// to. Plain JS so the Node type check leaves it alone; it never runs under Node.
/* global Deno */

const entrypoint = Deno.args[0];
const READY_PREFIX = 'LINTEL_WORKER_LISTENING ';

// The service keeps our stdin open; when it goes away (even killed), stdin ends and so do we,
// so no worker outlives the stack that started it.
(async () => {
  const buf = new Uint8Array(64);
  try {
    while ((await Deno.stdin.read(buf)) !== null) {
      // nothing is ever sent; reading only waits for end of input
    }
  } catch {
    // stdin closed abruptly
  }
  Deno.exit(0);
})();

// Edge Runtime turns an exception thrown by the handler into a 500 carrying the CLI's
// InvalidWorkerResponse shape (supabase/cli internal/functions/serve/templates/main.ts).
function onError(err) {
  console.error(err);
  return new Response(
    JSON.stringify({ code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)' }),
    { status: 500, headers: { 'content-type': 'application/json' } },
  );
}

// Supabase's runtime global: `EdgeRuntime.waitUntil(promise)` keeps background work (an email
// after the response) alive. Our workers are long-lived, so the work simply runs on.
globalThis.EdgeRuntime ??= {
  waitUntil(promise) {
    Promise.resolve(promise).catch((err) => console.error('EdgeRuntime.waitUntil task failed:', err));
  },
};

const realServe = Deno.serve.bind(Deno);
let served = false;

Deno.serve = (...args) => {
  if (served) throw new Error('Deno.serve was called more than once by this function');
  served = true;
  const [first, second] = args;
  const handler = typeof first === 'function' ? first : typeof second === 'function' ? second : first?.handler;
  if (typeof handler !== 'function') throw new TypeError('Deno.serve needs a handler function');
  const userOptions = typeof first === 'object' && first !== null ? first : {};
  return realServe(
    {
      hostname: '127.0.0.1',
      port: 0,
      onError: userOptions.onError ?? onError,
      onListen: ({ port }) => console.log(`${READY_PREFIX}${port}`),
    },
    handler,
  );
};

await import(entrypoint);
if (!served) {
  console.error(`${entrypoint} did not call Deno.serve`);
  Deno.exit(70);
}
