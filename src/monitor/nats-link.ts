/**
 * The NATS transport's client side: a DomainLink to a domain served by a
 * NatsMonitorBridge in any process on the same NATS cluster. The controller
 * subscribes before it attaches (so nothing raised after the attach is missed),
 * keeps its lease alive, and sees each event once even when an event it already
 * got is published again for it (EVENT_FLAG_REDELIVERED).
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  AttachControllerReply, AttachControllerRequest, DetachControllerRequest, KeepaliveRequest, StatusReply,
} from '../generated/tsvmi/v1/control.js';
import type { Error as PbError } from '../generated/tsvmi/v1/error.js';
import { MonitorEvent } from '../generated/tsvmi/v1/event.js';
import { MonitorReply } from '../generated/tsvmi/v1/reply.js';
import { ErrorCode, gate, RequestError, unwrap, type Codec, type Controller, type DomainLink, type EventHandler } from './link.js';
import { subjects } from './subjects.js';

export interface NatsLinkOptions {
  /** How long to wait for an answer (default 5 s). */
  timeoutMs?: number;
  /** Observers in the same queue group share the events between them (NATS queue groups). */
  queue?: string;
}

/** Sequence numbers remembered to drop a second copy of an event. */
const REMEMBERED = 4096;

export class NatsLink implements DomainLink {
  private readonly s: ReturnType<typeof subjects>;
  private readonly subs = new Set<Subscription>();

  constructor(private readonly nc: NatsConnection, readonly domain: string, private readonly opts: NatsLinkOptions = {}) {
    this.s = subjects(domain);
  }

  private subscribe(onEvent: (e: MonitorEvent) => void, queue?: string): Subscription {
    const sub = this.nc.subscribe(this.s.allEvents, {
      ...(queue ? { queue } : {}),
      callback: (_err, m) => onEvent(MonitorEvent.decode(m.data)),
    });
    this.subs.add(sub);
    return sub;
  }

  private unsubscribe(sub: Subscription): void {
    sub.unsubscribe();
    this.subs.delete(sub);
  }

  async observe(onEvent: EventHandler): Promise<{ stop(): Promise<void> }> {
    const sub = this.subscribe(onEvent, this.opts.queue);
    await this.nc.flush();
    return { stop: async () => this.unsubscribe(sub) };
  }

  async control(onEvent: EventHandler, opts: { onLost?: (e: RequestError) => void } = {}): Promise<Controller> {
    const seen = new Set<bigint>(), events = gate(onEvent);
    const sub = this.subscribe((e) => {
      if (seen.has(e.seq)) return; // published again for us, but we already have it
      seen.add(e.seq);
      if (seen.size > REMEMBERED) seen.delete(seen.values().next().value!);
      events.deliver(e);
    });
    await this.nc.flush();
    let attached: AttachControllerReply;
    try {
      attached = await this.request('control.attach', AttachControllerRequest, AttachControllerReply, {});
    } catch (e) {
      this.unsubscribe(sub);
      throw e;
    }
    const { session, leaseMs } = attached;
    events.open();
    const keepalive = setInterval(() => {
      this.request('control.keepalive', KeepaliveRequest, StatusReply, { session }).catch((e: unknown) => {
        clearInterval(keepalive);
        this.unsubscribe(sub);
        opts.onLost?.(e instanceof RequestError ? e : new RequestError(ErrorCode.ERROR_CODE_UNAVAILABLE, String(e)));
      });
    }, Math.max(1, Math.floor(leaseMs / 3)));
    keepalive.unref();
    return {
      session,
      reply: async (r) => {
        const bytes = MonitorReply.encode({ ...MonitorReply.fromPartial({}), ...r, domain: this.domain, session }).finish();
        unwrap(StatusReply.decode(await this.call(this.s.reply, bytes)));
      },
      detach: async () => {
        clearInterval(keepalive);
        this.unsubscribe(sub);
        await this.request('control.detach', DetachControllerRequest, StatusReply, { session });
      },
    };
  }

  async request<Q, A extends { error: PbError | undefined }>(op: string, req: Codec<Q>, rep: Codec<A>, q: Partial<Q>): Promise<A> {
    const bytes = req.encode(req.fromPartial({ ...q, domain: this.domain })).finish();
    return unwrap(rep.decode(await this.call(this.s.request(op), bytes)));
  }

  /** A NATS request; "no responders" means nobody serves this domain (or this operation). */
  private async call(subject: string, bytes: Uint8Array): Promise<Uint8Array> {
    try {
      return (await this.nc.request(subject, bytes, { timeout: this.opts.timeoutMs ?? 5_000 })).data;
    } catch (cause) {
      const text = String(cause);
      if (/no responders/i.test(text)) throw new RequestError(ErrorCode.ERROR_CODE_UNKNOWN_DOMAIN, `nobody serves ${subject}: is domain "${this.domain}" running?`, { cause });
      throw new RequestError(ErrorCode.ERROR_CODE_UNAVAILABLE, `no answer on ${subject}: ${text}`, { cause });
    }
  }

  /** Stop every subscription of this link (the connection is the caller's). */
  async close(): Promise<void> {
    for (const sub of this.subs) sub.unsubscribe();
    this.subs.clear();
  }
}
