// The baseline: one JSON route on the same Hono and @hono/node-server the gateway runs on, with
// nothing else (no middleware, no auth, no database). Started by bench/run.ts as a child process.
import { importFromApi } from './shared.js';

interface JsonContext {
  json(body: unknown): Response;
}

interface HonoApp {
  get(path: string, handler: (c: JsonContext) => Response): unknown;
  fetch: (request: Request) => Response | Promise<Response>;
}

interface NodeServerModule {
  serve(
    options: { fetch: HonoApp['fetch']; port: number; hostname: string },
    listening: (info: { port: number }) => void,
  ): unknown;
}

const { Hono } = await importFromApi<{ Hono: new () => HonoApp }>('hono');
const { serve } = await importFromApi<NodeServerModule>('@hono/node-server');

const app = new Hono();
app.get('/bare', (c) => c.json({ status: 'ok', service: 'bare', version: 1 }));

serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' }, (info) => {
  process.stderr.write(`bare route listening on ${info.port}\n`);
});
process.once('SIGTERM', () => process.exit(0));
