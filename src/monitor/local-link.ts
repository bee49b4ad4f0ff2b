/**
 * The embedded transport's client side: a DomainLink to a monitor in the same
 * process, with no server. Events, replies and control requests still travel
 * as protobuf bytes, through the same encoders and operation table as on NATS,
 * so both transports behave alike down to their errors.
 */
import { MonitorEvent } from '../generated/tsvmi/v1/event.js';
import { MonitorReply } from '../generated/tsvmi/v1/reply.js';
import { ControlPlane } from './control.js';
import { CONTROL_OPS } from './control-ops.js';
import { ErrorCode, gate, RequestError, unwrap, type Codec, type Controller, type DomainLink, type EventHandler } from './link.js';
import type { Monitor, Session } from './monitor.js';
import { decodeCounted, encodeEvent, wireError } from './wire.js';
import type { Error as PbError } from '../generated/tsvmi/v1/error.js';
import type { MonitorEvent as Raised } from './event.js';

const refusal = (e: unknown): RequestError => RequestError.of(wireError(e));
const wire = (e: Raised): MonitorEvent => MonitorEvent.decode(encodeEvent(e));

export class LocalLink implements DomainLink {
  private readonly cp: ControlPlane;
  private sessions = 0;
  /** The monitor sessions this link opened, ended by close(). */
  private readonly open = new Set<Session>();
  private closed = false;

  constructor(private readonly monitor: Monitor) {
    this.cp = new ControlPlane(monitor);
  }

  get domain(): string {
    return this.monitor.domain.name;
  }

  /** A closed link answers nothing, as a closed NATS connection does: callers see the same error. */
  private checkOpen(): void {
    if (this.closed) throw new RequestError(ErrorCode.ERROR_CODE_UNAVAILABLE, `the link to domain ${this.domain} is closed`);
  }

  private opened(s: Session): Session {
    this.open.add(s);
    return s;
  }

  private ended(s: Session): void {
    this.open.delete(s);
    s.detach();
  }

  async observe(onEvent: EventHandler): Promise<{ stop(): Promise<void> }> {
    this.checkOpen();
    const s = this.opened(this.monitor.attach('observer', (e) => onEvent(wire(e))));
    return { stop: async () => this.ended(s) };
  }

  async control(onEvent: EventHandler): Promise<Controller> {
    this.checkOpen();
    const events = gate(onEvent);
    let s: Session;
    try {
      s = this.opened(this.monitor.attach('controller', (e) => events.deliver(wire(e))));
    } catch (e) {
      throw refusal(e);
    }
    events.open();
    const session = `local-${++this.sessions}`, domain = this.domain;
    return {
      session,
      reply: async (r) => {
        this.checkOpen();
        const bytes = MonitorReply.encode({ ...MonitorReply.fromPartial({}), ...r, domain, session }).finish();
        try {
          s.reply(decodeCounted(this.monitor, bytes));
        } catch (e) {
          throw refusal(e);
        }
      },
      detach: async () => this.ended(s),
    };
  }

  async request<Q, A extends { error: PbError | undefined }>(op: string, req: Codec<Q>, rep: Codec<A>, q: Partial<Q>): Promise<A> {
    this.checkOpen();
    const handle = CONTROL_OPS[op];
    if (!handle) throw new RequestError(ErrorCode.ERROR_CODE_INVALID_ARGUMENT, `no control operation "${op}"`);
    return unwrap(rep.decode(handle(this.cp, req.encode(req.fromPartial({ ...q, domain: this.domain })).finish())));
  }

  /** End every session this link opened (a controller's paused vCPUs stay paused) and refuse what follows. */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.open) this.ended(s);
  }
}
