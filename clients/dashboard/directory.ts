/**
 * Which domains the dashboard shows and how it reaches each: embedded (a
 * Monitor in this process, reached through LocalLinks) or over NATS (named
 * domains on one connection). The monitor publishes no announcement or
 * heartbeat subject (src/monitor/subjects.ts), so over NATS the domains are
 * the ones named. The serial console comes from the domain's owner: teed in
 * process, or published on `tsvmi.v1.<domain>.console` by `tsvmi run --nats`
 * (from the moment the dashboard subscribes: NATS keeps no history).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { VmiConnection } from '../../src/introspect/connect.js';
import type { Profile } from '../../src/introspect/os/profile.js';
import { Vmi, type AttachOptions } from '../../src/introspect/vmi.js';
import { LocalLink } from '../../src/monitor/local-link.js';
import type { Monitor } from '../../src/monitor/monitor.js';
import { subjects } from '../../src/monitor/subjects.js';
import { SerialConsole } from './serial-console.js';

/** A console's text so far (the newest part): a SerialConsole, or anything else that keeps one. */
export interface ConsoleText { text(): string }

/** Where a domain's console comes from, or why there is none. */
export type ConsoleSource = { available: true; console: ConsoleText } | { available: false; why: string };

export interface DomainDirectory {
  /** The domains to show, by name. */
  names(): readonly string[];
  /** A new session with one of them (the dashboard closes it). */
  attach(name: string, opts: AttachOptions): Promise<Vmi>;
  console(name: string): ConsoleSource;
  /** The OS profile for symbols (the same kernel for every domain listed). */
  readonly profile: Profile | undefined;
  /** NATS: whether the connection is up now and to where; undefined when embedded. */
  nats(): { connected: boolean; servers: string } | undefined;
}


/** One embedded domain: its monitor, and its console if the Domain's serial output is teed into one. */
export function localDirectory(monitor: Monitor, opts: { profile?: Profile | undefined; console?: ConsoleText | undefined } = {}): DomainDirectory {
  const name = monitor.domain.name;
  return {
    names: () => [name],
    attach: async (n, attachOpts) => {
      if (n !== name) throw new Error(`no domain ${n} here`);
      return Vmi.attach(new LocalLink(monitor), attachOpts);
    },
    console: () => (opts.console ? { available: true, console: opts.console } : { available: false, why: 'the serial console was not teed to the dashboard' }),
    profile: opts.profile,
    nats: () => undefined,
  };
}

/** Named domains on a NATS connection (`connect({ servers })`); the caller closes the connection. */
export function natsDirectory(conn: VmiConnection, domains: readonly string[], opts: { servers: string; profile?: Profile | undefined }): DomainDirectory {
  const state = connectionState(conn.nats);
  const consoles = new Map(domains.map((name) => {
    const tail = new SerialConsole();
    conn.nats.subscribe(subjects(name).console, { callback: (_err, m) => { for (const b of m.data) tail.write(b); } });
    return [name, tail];
  }));
  return {
    names: () => domains,
    attach: (n, attachOpts) => conn.attach(n, attachOpts),
    console: (n) => {
      const tail = consoles.get(n);
      return tail ? { available: true, console: tail } : { available: false, why: `${n} is not a domain this dashboard watches` };
    },
    profile: opts.profile,
    nats: () => ({ connected: state.connected(), servers: opts.servers }),
  };
}

/** Follow a connection's status events: nats.js tells of disconnects and reconnects only that way. */
function connectionState(nc: NatsConnection): { connected(): boolean } {
  let up = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') up = false;
      else if (s.type === 'reconnect') up = true;
    }
  })().catch(() => {});
  return { connected: () => up && !nc.isClosed() };
}
