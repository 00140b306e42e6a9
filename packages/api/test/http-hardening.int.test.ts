import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createTestGateway, rest, testConfig, type TestGateway } from './harness.js';

describe('HTTP hardening', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway('pglite');
  });
  afterAll(() => gw?.close());

  it('sends security headers on API answers and a CSP on the docs page', async () => {
    const api = await rest(gw, 'GET', '/v1/catalogue', { token: gw.partnerA.token });
    expect(api.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('x-frame-options')).toBe('DENY');
    expect(api.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(api.headers.get('cache-control')).toBe('no-store');

    const docs = await gw.app.fetch(new Request('http://tahoon.test/docs'));
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('hides the docs and the OpenAPI document when turned off', async () => {
    const app = createApp({ ...gw.deps, config: testConfig({ TAHOON_DOCS: 'off' }) });
    for (const path of ['/docs', '/openapi.json']) {
      const response = await app.fetch(new Request(`http://tahoon.test${path}`));
      expect(response.status).toBe(404);
    }
  });

  it("never takes the OpenAPI document's server from a caller's Host header", async () => {
    // A fresh app: the document is built on its first request, which here names another host.
    const app = createApp(gw.deps);
    const poisoned = await app.fetch(new Request('http://evil.example/openapi.json'));
    const later = await app.fetch(new Request('http://tahoon.test/openapi.json'));
    for (const response of [poisoned, later]) {
      const doc = (await response.json()) as { servers: { url: string }[] };
      expect(doc.servers).toEqual([{ url: '/' }]);
    }
    const configured = createApp({
      ...gw.deps,
      config: testConfig({ TAHOON_PUBLIC_URL: 'https://api.partner-gateway.example' }),
    });
    const named = await configured.fetch(new Request('http://evil.example/openapi.json'));
    expect(((await named.json()) as { servers: unknown }).servers).toEqual([
      { url: 'https://api.partner-gateway.example' },
    ]);
  });

  it('sends no CORS headers by default, whatever the Origin', async () => {
    const answer = await rest(gw, 'GET', '/v1/catalogue', {
      token: gw.partnerA.token,
      headers: { origin: 'https://evil.example' },
    });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers only listed origins when an allow-list is configured', async () => {
    const config = testConfig({ TAHOON_CORS_ORIGINS: 'https://app.partner.example' });
    const app = createApp({ ...gw.deps, config });
    const preflight = (origin: string) =>
      app.fetch(
        new Request('http://tahoon.test/v1/patients', {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        }),
      );
    const allowed = await preflight('https://app.partner.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.partner.example');
    const hostile = await preflight('https://evil.example');
    expect(hostile.headers.get('access-control-allow-origin')).toBeNull();
    expect(hostile.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it.each([
    '//v1/patients',
    '/v1//patients',
    '/%76%31/patients',
    '/V1/patients',
    '/v1/./patients',
    '/v1/patients/',
  ])('never serves %s without a token', async (path) => {
    const response = await gw.app.fetch(new Request(`http://tahoon.test${path}`));
    expect([401, 404]).toContain(response.status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
