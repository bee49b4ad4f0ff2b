/**
 * A client's connection to one domain, the same on every transport: events in
 * as decoded tsvmi.v1.MonitorEvent messages, replies and control requests out
 * as protobuf messages, refusals back as typed RequestErrors carrying the
 * wire's ErrorCode. The embedded link (local-link.ts) and the NATS link
 * (nats-link.ts) both go through the protobuf encoding, so what a test proves
 * on one holds for the bytes the other carries.
 */
import type { MonitorEvent } from '../generated/tsvmi/v1/event.js';
import { ErrorCode, type Error as PbError } from '../generated/tsvmi/v1/error.js';
import type { MonitorReply } from '../generated/tsvmi/v1/reply.js';

/** A request the domain refused, or could not be asked (no answer, no connection). */
export class RequestError extends Error {
  override readonly name: string = 'RequestError';
  constructor(readonly code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  static of(e: PbError): RequestError {
    return new RequestError(e.code, e.message);
  }
}

/** Encode/decode functions of a generated message type. */
export interface Codec<T> {
  decode(bytes: Uint8Array): T;
  encode(message: T): { finish(): Uint8Array };
  fromPartial(object: object): T;
}

export type EventHandler = (e: MonitorEvent) => void;

export interface Controller {
  /** The session id replies carry. */
  readonly session: string;
  /** Answer a sync event; the domain and session are filled in. Rejects with RequestError if refused. */
  reply(r: Partial<MonitorReply>): Promise<void>;
  /** Give the domain up: paused vCPUs stay paused, unanswered events go to the next controller. */
  detach(): Promise<void>;
}

export interface DomainLink {
  readonly domain: string;
  /** Receive a copy of every event (Xen's observers have no equivalent; libvmi's async events). Resolves once subscribed. */
  observe(onEvent: EventHandler): Promise<{ stop(): Promise<void> }>;
  /**
   * Become the domain's one controller; rejects with ERROR_CODE_BUSY while another one is
   * attached. Events reach `onEvent` only after this has resolved.
   */
  control(onEvent: EventHandler, opts?: { onLost?: (e: RequestError) => void }): Promise<Controller>;
  /** A control-plane operation (control-ops.ts) with typed request and reply; rejects with the reply's error. */
  request<Q, A extends { error: PbError | undefined }>(op: string, req: Codec<Q>, rep: Codec<A>, q: Partial<Q>): Promise<A>;
  close(): Promise<void>;
}

/**
 * Holds a controller's events until control() has resolved and its caller has the
 * Controller in hand (a turn of the event loop later), so that a handler may reply
 * through it from the first event on. `open` lets them through, in order.
 */
export function gate(onEvent: EventHandler): { deliver: EventHandler; open(): void } {
  let backlog: MonitorEvent[] | undefined = [];
  return {
    deliver: (e) => { if (backlog) backlog.push(e); else onEvent(e); },
    open: () => setImmediate(() => { const held = backlog ?? []; backlog = undefined; held.forEach(onEvent); }),
  };
}

/** The reply's typed error as a rejection, or the reply. */
export function unwrap<A extends { error: PbError | undefined }>(a: A): A {
  if (a.error) throw RequestError.of(a.error);
  return a;
}

export { ErrorCode };
