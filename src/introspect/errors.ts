/**
 * The SDK's typed errors: what a VMI tool author catches. Every refusal from a
 * domain (the wire's ErrorCode) becomes one of these, so code can tell an
 * unknown domain from a busy controller from a lost connection without
 * reading messages.
 */
import { ErrorCode } from '../generated/tsvmi/v1/error.js';
import { RequestError } from '../monitor/link.js';

export class VmiError extends Error {
  override readonly name: string = 'VmiError';
  constructor(message: string, readonly code: ErrorCode = ErrorCode.ERROR_CODE_UNSPECIFIED, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** No domain by that name is served (over NATS: nobody answers on its subjects). */
export class UnknownDomainError extends VmiError {
  override readonly name: string = 'UnknownDomainError';
}

/** Another client is the domain's controller. */
export class BusyError extends VmiError {
  override readonly name: string = 'BusyError';
}

/** The connection is gone, or the domain stopped answering (a lost controller lease included). */
export class ConnectionLostError extends VmiError {
  override readonly name: string = 'ConnectionLostError';
}

/** The domain refused a request: an address outside memory, an unknown vCPU, a state no vCPU would take, ... */
export class RefusedError extends VmiError {
  override readonly name: string = 'RefusedError';
}

/** The typed error for anything a link threw (other errors pass through unchanged). */
export function vmiError(e: unknown): unknown {
  if (!(e instanceof RequestError)) return e;
  const opts = { cause: e };
  switch (e.code) {
    case ErrorCode.ERROR_CODE_UNKNOWN_DOMAIN: return new UnknownDomainError(e.message, e.code, opts);
    case ErrorCode.ERROR_CODE_BUSY: return new BusyError(e.message, e.code, opts);
    case ErrorCode.ERROR_CODE_UNAVAILABLE: return new ConnectionLostError(e.message, e.code, opts);
    default: return new RefusedError(e.message, e.code, opts);
  }
}

/** Run a link call, rethrowing its failure as a typed error. */
export async function typed<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (e) {
    throw vmiError(e);
  }
}
