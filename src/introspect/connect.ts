/**
 * Reaching domains over NATS: `connect({ servers })` once, then `attach(name)`
 * for each domain (libvmi's vmi_init per domain). For an embedded domain, pass
 * its LocalLink to `Vmi.attach` instead: no server involved.
 */
import { connect as natsConnect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { ConnectionLostError } from './errors.js';
import { NatsLink } from '../monitor/nats-link.js';
import { Vmi, type AttachOptions } from './vmi.js';

export interface VmiConnection {
  /** Attach to a domain served on this NATS cluster; rejects with UnknownDomainError or BusyError. */
  attach(domain: string, opts?: AttachOptions): Promise<Vmi>;
  /** Detach every session and close the connection. */
  close(): Promise<void>;
  readonly nats: NatsConnection;
}

export async function connect(opts: ConnectionOptions & { servers: string | string[] }): Promise<VmiConnection> {
  let nc: NatsConnection;
  try {
    nc = await natsConnect(opts);
  } catch (e) {
    throw new ConnectionLostError(`cannot connect to NATS at ${String(opts.servers)}: ${(e as Error).message}`, undefined, { cause: e });
  }
  const sessions = new Set<Vmi>();
  return {
    nats: nc,
    attach: async (domain, attachOpts) => {
      const vmi = await Vmi.attach(new NatsLink(nc, domain), attachOpts);
      sessions.add(vmi);
      return vmi;
    },
    close: async () => {
      for (const s of sessions) await s.close();
      await nc.close();
    },
  };
}
