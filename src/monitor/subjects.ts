/**
 * The NATS subjects of one domain, versioned and per domain (deploy/nats/README.md):
 * `tsvmi.v1.<domain>.events.<reason>`, `….reply`, `….console`, `….control.<op>` and `….info`.
 */
export const subjects = (domain: string) => {
  const prefix = `tsvmi.v1.${domain}`;
  return {
    events: (reason: string) => `${prefix}.events.${reason}`,
    allEvents: `${prefix}.events.>`,
    reply: `${prefix}.reply`,
    /** The guest's serial console (COM1) as raw bytes, a line or so per message, as the domain's owner tees it. */
    console: `${prefix}.console`,
    /** A request/reply subject below the domain: `control.<op>` or `info`. */
    request: (suffix: string) => `${prefix}.${suffix}`,
  };
};
