/**
 * The live dashboard's HTTP server (fastify): the page built by Vite
 * (dist/dashboard-web), its live data as Server-Sent Events, pause and
 * resume for a dashboard that holds the controller session, and Prometheus
 * metrics on /metrics.
 *
 * ```ts
 * const dash = await serveDashboard({ domains: localDirectory(monitor, { profile, console }), port: 8080, controller: true });
 * console.log(dash.url);
 * ```
 *
 *   GET  /                          the page
 *   GET  /api/stream                SSE: `history` once, then a `snapshot` each tick (≤ 4/s)
 *   GET  /api/snapshot              the latest snapshot as JSON
 *   POST /api/domains/:name/pause   (and /resume) 403 without the controller session
 *   GET  /metrics                   Prometheus text format
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fastifySSE } from '@fastify/sse';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyReply } from 'fastify';
import { VmiError } from '../../src/introspect/errors.js';
import type { DomainDirectory } from './directory.js';
import { NotControllerError } from './domain-watch.js';
import { DashboardHub } from './hub.js';
import { createMetrics } from './metrics.js';
import { STREAM_EVENTS, type DashboardSnapshot } from './snapshot.js';

export interface DashboardOptions {
  domains: DomainDirectory;
  /** Default 127.0.0.1: the dashboard has no login, so it is not for the network unless asked. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /**
   * Attach each domain's controller session, so that the page may pause and resume it
   * (default false: observe only). A domain whose controller is taken shows why not.
   */
  controller?: boolean;
  /** The built page (default: dist/dashboard-web, beside this module's build). */
  webRoot?: string;
}

export interface DashboardServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** dist/clients/dashboard/server.js → dist/dashboard-web/ (vite.config.ts's outDir). */
const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dashboard-web/', import.meta.url));

export async function serveDashboard(opts: DashboardOptions): Promise<DashboardServer> {
  const hub = new DashboardHub(opts.domains, opts.controller ?? false);
  await hub.start();
  const metrics = createMetrics(() => hub.sessions(), { natsConnected: () => opts.domains.nats()?.connected });
  // Open SSE streams never end by themselves: close() must cut them.
  const app = Fastify({ forceCloseConnections: true });
  try {
    await app.register(fastifySSE);
    const webRoot = opts.webRoot ?? DEFAULT_WEB_ROOT;
    if (existsSync(webRoot)) await app.register(fastifyStatic, { root: webRoot });
    else app.get('/', async (_req, reply) => reply.code(503).type('text/plain').send(`the dashboard page is not built (${webRoot}): run 'npm run build'`));

    app.get('/api/stream', { sse: 'only' }, async (_req, reply) => {
      reply.sse.keepAlive();
      await reply.sse.send({ event: STREAM_EVENTS.history, data: hub.history() });
      const push = latestWins(reply);
      if (hub.latest) push(hub.latest);
      reply.sse.onClose(hub.listen(push));
    });
    app.get('/api/snapshot', async () => hub.latest);
    for (const verb of ['pause', 'resume'] as const) {
      app.post<{ Params: { name: string } }>(`/api/domains/:name/${verb}`, async (req, reply) => {
        // A form on another site may POST text/plain without asking first; it cannot send JSON without a CORS preflight we never grant.
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return reply.code(415).send({ error: 'send Content-Type: application/json' });
        const watch = hub.watches.get(req.params.name);
        if (!watch) return reply.code(404).send({ error: `no domain ${req.params.name}` });
        try {
          await (verb === 'pause' ? watch.pause() : watch.resume());
          return { ok: true };
        } catch (e) {
          if (e instanceof NotControllerError) return reply.code(403).send({ error: e.message });
          if (e instanceof VmiError) return reply.code(409).send({ error: e.message });
          throw e;
        }
      });
    }
    app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()));
    await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  } catch (e) {
    await app.close().catch(() => {});
    await hub.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port ?? 8080;
  const host = opts.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    host, port,
    close: async () => { await hub.close(); await app.close(); },
  };
}

/**
 * Send snapshots to one page, the newest only: while one is on its way (a slow
 * connection), later ones replace each other, so a slow page skips samples rather
 * than queueing them.
 */
function latestWins(reply: FastifyReply): (s: DashboardSnapshot) => void {
  let sending = false, next: DashboardSnapshot | undefined;
  const send = async (s: DashboardSnapshot): Promise<void> => {
    sending = true;
    try {
      for (let cur: DashboardSnapshot | undefined = s; cur && reply.sse.isConnected; cur = next, next = undefined) {
        await reply.sse.send({ event: STREAM_EVENTS.snapshot, data: cur });
      }
    } catch {
      // the page went away; onClose unsubscribes it
    } finally {
      sending = false;
    }
  };
  return (s) => { if (sending) next = s; else void send(s); };
}
