/** Typed errors of the monitor (one class per refusal, so callers and transports can map them to codes). */
export class MonitorError extends Error {
  override readonly name: string = 'MonitorError';
  constructor(readonly code: MonitorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const MonitorErrorCode = {
  UNKNOWN_DOMAIN: 'UNKNOWN_DOMAIN',
  UNKNOWN_VCPU: 'UNKNOWN_VCPU',
  BUSY: 'BUSY',
  UNKNOWN_EVENT: 'UNKNOWN_EVENT',
  ALREADY_ANSWERED: 'ALREADY_ANSWERED',
  INVALID_REPLY: 'INVALID_REPLY',
  NOT_CONTROLLER: 'NOT_CONTROLLER',
  UNSUPPORTED: 'UNSUPPORTED',
  OUT_OF_RANGE: 'OUT_OF_RANGE',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
} as const;
export type MonitorErrorCode = (typeof MonitorErrorCode)[keyof typeof MonitorErrorCode];
