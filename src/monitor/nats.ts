/**
 * The monitor on NATS, server side. Every event of the domain is published
 * once, when raised, as a tsvmi.v1.MonitorEvent on
 * `tsvmi.v1.<domain>.events.<reason>`; replies arrive as tsvmi.v1.MonitorReply
 * on `tsvmi.v1.<domain>.reply` and, sent with `request()`, are answered with a
 * StatusReply (empty, or the typed error that refused them). The control plane
 * is served on `….control.<op>` and `….info` (control-ops.ts).
 *
 * One remote client at a time is the controller: it attaches on
 * `….control.attach` and keeps its lease alive on `….control.keepalive`, and
 * only replies carrying its session are accepted. When it detaches or its lease
 * lapses (NATS does not tell other clients that a connection died), the monitor
 * keeps paused vCPUs paused and hands unanswered events to the next controller:
 * on attach, events raised before it are published again with
 * EVENT_FLAG_REDELIVERED. Subjects and permissions: deploy/nats/README.md.
 */
import { randomUUID } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  AttachControllerReply, AttachControllerRequest, DetachControllerRequest, KeepaliveRequest, StatusReply,
} from '../generated/tsvmi/v1/control.js';
import type { Error as PbError } from '../generated/tsvmi/v1/error.js';
import { ControlPlane } from './control.js';
import { CONTROL_OPS } from './control-ops.js';
import { MonitorError, MonitorErrorCode } from './errors.js';
import { EventFlag, type MonitorEvent } from './event.js';
import type { Monitor, Session } from './monitor.js';
import { subjects } from './subjects.js';
import { decodeCounted, encodeEvent, wireError } from './wire.js';

/** NATS tokens may not contain these; a domain name is one token. */
const BAD_TOKEN = /[\s.*>]/;

export interface BridgeOptions {
  /** How long a controller's session lasts without a keepalive (default 10 s). */
  leaseMs?: number;
}

interface Lease {
  id: string;
  session: Session;
  timer: NodeJS.Timeout | undefined;
}

export class NatsMonitorBridge {
  private readonly subs: Subscription[] = [];
  private readonly observer: Session;
  private lease: Lease | undefined;
  private readonly leaseMs: number;
  private readonly s: ReturnType<typeof subjects>;

  constructor(private readonly monitor: Monitor, private readonly nc: NatsConnection, opts: BridgeOptions = {}) {
    const domain = monitor.domain.name;
    if (!domain || BAD_TOKEN.test(domain)) throw new Error(`domain name "${domain}" is not a single NATS subject token`);
    this.leaseMs = opts.leaseMs ?? 10_000;
    const s = (this.s = subjects(domain));
    this.observer = monitor.attach('observer', (e) => this.publish(e));
    const cp = new ControlPlane(monitor);
    const serve = (subject: string, handle: (data: Uint8Array) => Uint8Array): void => {
      this.subs.push(nc.subscribe(subject, { callback: (_err, m) => { m.respond(handle(m.data)); } }));
    };
    for (const [suffix, handle] of Object.entries(CONTROL_OPS)) serve(s.request(suffix), (data) => handle(cp, data));
    serve(s.request('control.attach'), (data) => this.answer(AttachControllerRequest, AttachControllerReply, data, () => this.attach()));
    serve(s.request('control.keepalive'), (data) => this.answer(KeepaliveRequest, StatusReply, data, (q) => { this.renew(this.holder(q.session)); }));
    serve(s.request('control.detach'), (data) => this.answer(DetachControllerRequest, StatusReply, data, (q) => this.end(this.holder(q.session))));
    this.subs.push(nc.subscribe(s.reply, { callback: (_err, m) => this.onReply(m) }));
  }

  /** Serial console output of the domain, for whoever watches it (dashboards): fire and forget, like the console itself. */
  publishConsole(bytes: Uint8Array): void {
    this.nc.publish(this.s.console, bytes);
  }

  private publish(e: MonitorEvent, flags = e.flags): void {
    this.nc.publish(this.s.events(e.reason), encodeEvent({ ...e, flags }));
  }

  /** Decode a session request for this domain, run it, and encode the result or the refusal. */
  private answer<Q extends { domain: string }, A extends { error: PbError | undefined }>(
    req: { decode(b: Uint8Array): Q }, rep: { encode(a: A): { finish(): Uint8Array }; fromPartial(o: object): A }, data: Uint8Array, run: (q: Q) => Partial<A> | void,
  ): Uint8Array {
    let answer: A;
    try {
      const q = req.decode(data);
      if (q.domain !== this.monitor.domain.name) throw new MonitorError(MonitorErrorCode.UNKNOWN_DOMAIN, `no domain "${q.domain}" here`);
      answer = rep.fromPartial({ ...(run(q) ?? {}) });
    } catch (e) {
      answer = rep.fromPartial({ error: wireError(e) });
    }
    return rep.encode(answer).finish();
  }

  private attach(): Partial<AttachControllerReply> {
    if (this.lease) throw new MonitorError(MonitorErrorCode.BUSY, `domain ${this.monitor.domain.name} already has a controller`);
    // Events raised before this attach were published when nobody (or a previous controller)
    // held the domain: publish those the monitor hands this controller again.
    const horizon = this.monitor.lastSeq;
    const session = this.monitor.attach('controller', (e) => { if (e.seq <= horizon) this.publish(e, e.flags | EventFlag.REDELIVERED); });
    const lease: Lease = { id: randomUUID(), session, timer: undefined };
    this.lease = lease;
    this.renew(lease);
    return { session: lease.id, leaseMs: this.leaseMs };
  }

  private holder(id: string): Lease {
    if (!this.lease || this.lease.id !== id) throw new MonitorError(MonitorErrorCode.NOT_CONTROLLER, `session "${id}" is not the controller of domain ${this.monitor.domain.name} (it detached, its lease lapsed, or it never attached)`);
    return this.lease;
  }

  private renew(lease: Lease): void {
    clearTimeout(lease.timer);
    lease.timer = setTimeout(() => this.end(lease), this.leaseMs);
    lease.timer.unref();
  }

  private end(lease: Lease): void {
    if (this.lease !== lease) return;
    clearTimeout(lease.timer);
    this.lease = undefined;
    lease.session.detach(); // paused vCPUs stay paused; unanswered events wait for the next controller
  }

  private onReply(m: Msg): void {
    let error: PbError | undefined;
    try {
      const reply = decodeCounted(this.monitor, m.data), lease = this.lease;
      if (!lease || reply.session !== lease.id) {
        this.monitor.countRefused(MonitorErrorCode.NOT_CONTROLLER);
        throw new MonitorError(MonitorErrorCode.NOT_CONTROLLER, `replies must come from the controller's session; "${reply.session}" is not it`);
      }
      lease.session.reply(reply);
    } catch (e) {
      error = wireError(e);
    }
    if (m.reply) m.respond(StatusReply.encode({ error }).finish());
  }

  /** Stop serving and release the controller, if any (paused vCPUs stay paused, their events are kept). */
  async close(): Promise<void> {
    for (const sub of this.subs) sub.unsubscribe();
    if (this.lease) this.end(this.lease);
    this.observer.detach();
    await this.nc.flush().catch(() => {});
  }
}
