/**
 * The optional audit log: a JetStream stream that keeps every event a domain
 * publishes on NATS, for dashboards and replay after the fact. The stream
 * captures the events subjects on the server side, so the ring's publishing
 * path is unchanged (and never waits for storage); the oldest events go first
 * once the stream holds `maxMsgs`.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError, jetstreamManager, RetentionPolicy, StorageType, type StreamInfo } from '@nats-io/jetstream';
import { subjects } from './subjects.js';

export const auditStreamName = (domain: string): string => `TSVMI_AUDIT_${domain}`;

/** Events kept when no limit is given. */
export const AUDIT_MAX_MSGS = 1_000_000;

/** Create the domain's audit stream, or bring an existing one to this configuration. */
export async function ensureAuditStream(nc: NatsConnection, domain: string, maxMsgs = AUDIT_MAX_MSGS): Promise<StreamInfo> {
  const jsm = await jetstreamManager(nc);
  const name = auditStreamName(domain);
  const config = {
    subjects: [subjects(domain).allEvents], retention: RetentionPolicy.Limits, storage: StorageType.File,
    discard: DiscardPolicy.Old, max_msgs: maxMsgs, description: `tsvmi monitor events of domain ${domain}`,
  };
  try {
    await jsm.streams.info(name);
  } catch (e) {
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) return jsm.streams.add({ name, ...config });
    throw e;
  }
  return jsm.streams.update(name, config);
}
