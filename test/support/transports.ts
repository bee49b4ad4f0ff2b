/**
 * The two transports as tests use them: serve a Monitor, then open client
 * links to it — in process (LocalLink) or through a real nats-server (a bridge
 * on one connection, each link on its own).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { DomainLink } from '../../src/monitor/link.js';
import { LocalLink } from '../../src/monitor/local-link.js';
import type { Monitor } from '../../src/monitor/monitor.js';
import { NatsMonitorBridge } from '../../src/monitor/nats.js';
import { NatsLink } from '../../src/monitor/nats-link.js';
import { startNatsServer, type NatsServer } from './nats-server.js';

/** A transport under test: serve a monitor, then open client links to it. */
export interface Transport {
  name: string;
  before(): Promise<void>;
  after(): Promise<void>;
  serve(monitor: Monitor): Promise<Served>;
}

export interface Served {
  link(): Promise<DomainLink>;
  /** The server, for clients that connect on their own (NATS only). */
  natsUrl?: string;
  /** Everything published so far has reached every link. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export const embedded: Transport = {
  name: 'embedded',
  before: async () => {},
  after: async () => {},
  serve: async (monitor) => ({ link: async () => new LocalLink(monitor), settle: async () => {}, close: async () => {} }),
};

export function nats(): Transport {
  let server: NatsServer;
  return {
    name: 'NATS',
    before: async () => { server = await startNatsServer(); },
    after: async () => { await server?.stop(); },
    serve: async (monitor) => {
      const conns: NatsConnection[] = [await connect({ servers: server.url })];
      const bridge = new NatsMonitorBridge(monitor, conns[0]!, { leaseMs: 2_000 });
      await conns[0]!.flush();
      return {
        natsUrl: server.url,
        link: async () => {
          const nc = await connect({ servers: server.url });
          conns.push(nc);
          return new NatsLink(nc, monitor.domain.name);
        },
        settle: async () => { for (const nc of conns) await nc.flush(); },
        close: async () => { await bridge.close(); await Promise.all(conns.map((nc) => nc.close())); },
      };
    },
  };
}

/** Fresh instances of both, for a `for` over describe blocks. */
export const TRANSPORTS = (): Transport[] => [embedded, nats()];

/**
 * One describe block per transport, with the lifecycle such a suite needs: the server
 * started before, the served domain closed after each test (and before a new one is
 * served: one domain of a name at a time), the server stopped after. Tests call `serve`.
 */
export function onEachTransport(title: string, timeoutMs: number, body: (serve: (monitor: Monitor) => Promise<Served>, transport: Transport) => void): void {
  for (const transport of TRANSPORTS()) {
    describe(`${title} (${transport.name} transport)`, function () {
      this.timeout(timeoutMs);
      let served: Served | undefined;
      before(() => transport.before());
      afterEach(async () => { await served?.close(); served = undefined; });
      after(() => transport.after());
      body(async (monitor) => {
        await served?.close();
        served = await transport.serve(monitor);
        return served;
      }, transport);
    });
  }
}
