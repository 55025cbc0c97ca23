import { describe, expect, it } from 'vitest';
import { stack } from '../setup/clients.ts';

describe('gateway', () => {
  it('answers /health with the database state', async () => {
    const res = await fetch(`${stack().API_URL}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toMatchObject({ status: 'ok', db: 'ok' });
  });

  it('answers an unknown route 404 in Kong’s shape and tags every response with a request id', async () => {
    const res = await fetch(`${stack().API_URL}/nope/v1/anything`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'no Route matched with those values' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a plain request id the caller sent and replaces one that is not', async () => {
    const res = await fetch(`${stack().API_URL}/health`, { headers: { 'x-request-id': 'trace-me-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-me-123');
    for (const bad of ['x'.repeat(500), "a'; drop table x; --", 'line\u2028break']) {
      const r = await fetch(`${stack().API_URL}/health`, { headers: { 'x-request-id': encodeURI(bad) } });
      expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('mail outbox (Mailpit-compatible API)', () => {
  const mail = () => stack().MAIL_URL!;

  it('captures a message with its links, finds it by recipient and deletes it', async () => {
    const to = `gateway-${Date.now()}@example.test`;
    const sent = await fetch(`${mail()}/api/v1/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        From: { Email: 'noreply@lintel.test', Name: 'Lintel' },
        To: [{ Email: to }],
        Subject: 'Confirm your email',
        HTML: '<p><a href="http://127.0.0.1:54321/auth/v1/verify?token=abc&amp;type=signup">Confirm</a></p>',
      }),
    });
    expect(sent.status).toBe(200);
    const { ID } = (await sent.json()) as { ID: string };

    const found = (await (await fetch(`${mail()}/api/v1/search?query=to:${encodeURIComponent(to)}`)).json()) as {
      messages: { ID: string; Subject: string }[];
    };
    expect(found.messages.map((m) => m.ID)).toEqual([ID]);

    const message = (await (await fetch(`${mail()}/api/v1/message/${ID}`)).json()) as { Links: string[]; To: { Address: string }[] };
    expect(message.To[0]!.Address).toBe(to);
    expect(message.Links).toEqual(['http://127.0.0.1:54321/auth/v1/verify?token=abc&type=signup']);

    const page = await (await fetch(mail())).text();
    expect(page).toContain('Confirm your email');

    await fetch(`${mail()}/api/v1/messages`, { method: 'DELETE', body: JSON.stringify({ IDs: [ID] }) });
    expect((await fetch(`${mail()}/api/v1/message/${ID}`)).status).toBe(404);
  });

  it('rejects a message without recipients', async () => {
    const res = await fetch(`${mail()}/api/v1/send`, { method: 'POST', body: JSON.stringify({ Subject: 'x', To: [] }) });
    expect(res.status).toBe(400);
  });
});

describe('mounting a service', () => {
  async function withGateway(run: (url: string) => Promise<void>) {
    const { startGateway } = await import('../../local-stack/gateway/index.ts');
    const { createLogger } = await import('../../local-stack/log.ts');
    const { freePort } = await import('../setup/test-stack.ts');
    const gateway = await startGateway({ host: '127.0.0.1', port: await freePort(), logger: createLogger('test', { level: 'silent' }) });
    let stopped = 0;
    gateway.mount({
      name: 'echo',
      prefix: '/echo/v1',
      fetch: (req, ctx) => Response.json({ path: new URL(req.url).pathname, requestId: ctx.requestId }, { status: 201 }),
      stop: async () => {
        stopped++;
      },
    });
    gateway.mount({
      name: 'own-cors',
      prefix: '/own/v1',
      gatewayCors: false,
      fetch: (req) => new Response(req.method === 'OPTIONS' ? 'own preflight' : 'ok', { status: 200 }),
      stop: async () => undefined,
    });
    const { headersObject } = await import('../../local-stack/service.ts');
    gateway.mount({
      name: 'headers',
      prefix: '/headers/v1',
      fetch: (req, ctx) => {
        if (ctx.url.pathname.endsWith('/redirect')) return Response.redirect('http://example.test/elsewhere', 302);
        if (ctx.url.pathname.endsWith('/origin')) return new Response('ok', { headers: { 'access-control-allow-origin': 'https://app.example' } });
        return Response.json({ raw: headersObject(ctx.rawHeaders), fetch: Object.fromEntries(req.headers), url: ctx.url.href });
      },
      stop: async () => undefined,
    });
    try {
      await run(gateway.url);
    } finally {
      await gateway.stop();
    }
    expect(stopped).toBe(1);
  }

  it('routes by prefix, keeps the full path and passes the request id', async () => {
    await withGateway(async (url) => {
      const res = await fetch(`${url}/echo/v1/things?x=1`, { headers: { 'x-request-id': 'r-1' } });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ path: '/echo/v1/things', requestId: 'r-1' });
      expect((await fetch(`${url}/echo/v10`)).status).toBe(404);
    });
  });

  it('answers CORS preflight as Supabase’s gateway does, and adds the origin header to responses', async () => {
    await withGateway(async (url) => {
      const pre = await fetch(`${url}/echo/v1/things`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:5173',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, apikey, content-type, x-client-info',
        },
      });
      expect(pre.status).toBe(200);
      expect(pre.headers.get('access-control-allow-origin')).toBe('*');
      expect(pre.headers.get('access-control-allow-methods')).toBe('GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT');
      expect(pre.headers.get('access-control-allow-headers')).toBe('authorization, apikey, content-type, x-client-info');

      const res = await fetch(`${url}/echo/v1/things`, { headers: { origin: 'http://localhost:5173' } });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    });
  });

  it('leaves CORS to a service that answers its own preflight (edge functions)', async () => {
    await withGateway(async (url) => {
      const pre = await fetch(`${url}/own/v1/fn`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
      });
      expect(await pre.text()).toBe('own preflight');
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  it('keeps a service’s own CORS origin and tags responses whose headers are immutable', async () => {
    await withGateway(async (url) => {
      const own = await fetch(`${url}/headers/v1/origin`, { headers: { origin: 'https://app.example' } });
      expect(own.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(own.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const moved = await fetch(`${url}/headers/v1/redirect`, { redirect: 'manual', headers: { 'x-request-id': 'r-2' } });
      expect(moved.status).toBe(302);
      expect(moved.headers.get('location')).toBe('http://example.test/elsewhere');
      expect(moved.headers.get('x-request-id')).toBe('r-2');
      expect(moved.headers.get('access-control-allow-origin')).toBe('*');
    });
  });

  it('gives a service the parsed URL and the raw headers, read as fetch reads them', async () => {
    const { connect } = await import('node:net');
    await withGateway(async (url) => {
      const { port } = new URL(url);
      // Repeated and oddly cased header lines: only a raw client sends them as they are.
      const head = [
        'GET /headers/v1/x?a=1&b=%20two HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Connection: close',
        'X-Dup: one', 'x-DUP:  two ', 'Cookie: a=1', 'cookie: b=2', 'X-Empty:', 'Accept: application/json', 'Prefer: count=exact',
      ];
      const answer = await new Promise<string>((resolve, reject) => {
        let text = '';
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(`${head.join('\r\n')}\r\n\r\n`));
        socket.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolve(text)).on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      const seen = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { raw: Record<string, string>; fetch: Record<string, string>; url: string };
      expect(seen.url).toBe(`http://127.0.0.1:${port}/headers/v1/x?a=1&b=%20two`);
      expect(seen.raw).toEqual(seen.fetch);
      expect(seen.raw['x-dup']).toBe('one, two');
      expect(seen.raw.cookie).toBe('a=1; b=2');
      expect(seen.raw['x-empty']).toBe('');
    });
  });

  it('turns a service crash into a 500 without details and keeps serving', async () => {
    const { startGateway } = await import('../../local-stack/gateway/index.ts');
    const { createLogger } = await import('../../local-stack/log.ts');
    const { freePort } = await import('../setup/test-stack.ts');
    const gateway = await startGateway({ host: '127.0.0.1', port: await freePort(), logger: createLogger('test', { level: 'silent' }) });
    gateway.mount({
      name: 'boom',
      prefix: '/boom/v1',
      fetch: () => {
        throw new Error('secret internal detail');
      },
      stop: async () => undefined,
    });
    try {
      const res = await fetch(`${gateway.url}/boom/v1/x`, { headers: { origin: 'http://localhost:5173' } });
      expect(res.status).toBe(500);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await res.text()).not.toContain('secret internal detail');
      expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    } finally {
      await gateway.stop();
    }
  });

  it('refuses a taken port with one sentence', async () => {
    const { startGateway } = await import('../../local-stack/gateway/index.ts');
    const { createLogger } = await import('../../local-stack/log.ts');
    const port = Number(new URL(stack().API_URL!).port);
    await expect(startGateway({ host: '127.0.0.1', port, logger: createLogger('test', { level: 'silent' }) })).rejects.toThrow(
      `Port ${port} is already in use by another program, so the API gateway cannot start there.`,
    );
  });
});
