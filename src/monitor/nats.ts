/**
 * The monitor on NATS: every event of the domain is published as a
 * tsvmi.v1.MonitorEvent on `tsvmi.v1.<domain>.events.<reason>`, and replies
 * arrive as tsvmi.v1.MonitorReply on `tsvmi.v1.<domain>.reply`. A reply sent
 * with `request()` is answered with a StatusReply (empty, or the typed error
 * that refused it); a refused reply changes nothing either way and is counted
 * in monitor.counters.refused. Subjects and permissions: deploy/nats/README.md.
 *
 * The bridge holds the monitor's controller session for the NATS side, so
 * sync events are published the moment they are raised and any NATS client
 * allowed to publish on the reply subject answers them. It also serves the
 * domain's control plane (nats-control.ts).
 */
import type { NatsConnection, Msg, Subscription } from '@nats-io/transport-node';
import { StatusReply } from '../generated/tsvmi/v1/control.js';
import type { Error as PbError } from '../generated/tsvmi/v1/error.js';
import { ControlPlane } from './control.js';
import { MonitorError } from './errors.js';
import { serveControl } from './nats-control.js';
import type { MonitorEvent } from './event.js';
import type { Monitor, Reply, Session } from './monitor.js';
import { subjects } from './subjects.js';
import { decodeReply, encodeEvent, wireError } from './wire.js';

/** NATS tokens may not contain these; a domain name is one token. */
const BAD_TOKEN = /[\s.*>]/;

export class NatsMonitorBridge {
  private readonly session: Session;
  private readonly sub: Subscription;
  private readonly control: Subscription[];
  private readonly done: Promise<void>;

  constructor(private readonly monitor: Monitor, nc: NatsConnection) {
    const domain = monitor.domain.name;
    if (!domain || BAD_TOKEN.test(domain)) throw new Error(`domain name "${domain}" is not a single NATS subject token`);
    const s = subjects(domain);
    this.sub = nc.subscribe(s.reply);
    this.control = serveControl(new ControlPlane(monitor), nc, s);
    this.session = monitor.attach('controller', (e: MonitorEvent) => nc.publish(s.events(e.reason), encodeEvent(e)));
    this.done = this.serve(domain);
  }

  private async serve(domain: string): Promise<void> {
    for await (const m of this.sub) this.onReply(m, domain);
  }

  private onReply(m: Msg, domain: string): void {
    let error: PbError | undefined;
    try {
      this.apply(m.data, domain);
    } catch (e) {
      error = wireError(e);
    }
    if (m.reply) m.respond(StatusReply.encode({ error }).finish());
  }

  private apply(data: Uint8Array, domain: string): void {
    let reply: Reply;
    try {
      reply = decodeReply(data, domain);
    } catch (e) {
      if (e instanceof MonitorError) this.monitor.countRefused(e.code);
      throw e;
    }
    this.session.reply(reply); // the monitor counts its own refusals
  }

  /** Stop serving; the controller session is released (paused vCPUs stay paused, their events are kept for the next one). */
  async close(): Promise<void> {
    for (const c of this.control) c.unsubscribe();
    this.sub.unsubscribe();
    await this.done;
    this.session.detach();
  }
}
