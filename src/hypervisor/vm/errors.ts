/** Host-side errors of the hypervisor layer (never guest faults: those are GuestFault). */
export class LoaderError extends Error {
  override readonly name = 'LoaderError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
