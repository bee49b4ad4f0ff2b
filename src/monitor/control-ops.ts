/**
 * The control plane's operations as bytes in, bytes out: what every transport
 * serves, by name — on NATS the name is the subject suffix
 * (`tsvmi.v1.<domain>.control.<op>`, `….info`; deploy/nats/README.md). Every
 * answer carries either the result or a typed Error; a request that cannot even
 * be decoded gets an INVALID_ARGUMENT error, never silence.
 */
import {
  CapabilitiesReply, CapabilitiesRequest, DomainInfoReply, DomainInfoRequest, GetRegistersReply, GetRegistersRequest, GetTraceReply, GetTraceRequest, InjectRequest,
  PauseRequest, ReadMemoryReply, ReadPhysicalRequest, ReadVirtualRequest, ResumeRequest, SetMonitorConfigRequest, SetPagePermissionsRequest,
  SetRegistersRequest, SetSingleStepRequest,
  StatusReply, WritePhysicalRequest, WriteVirtualRequest,
} from '../generated/tsvmi/v1/control.js';
import type { Error as PbError } from '../generated/tsvmi/v1/error.js';
import type { ControlPlane } from './control.js';
import { MonitorError, MonitorErrorCode } from './errors.js';
import type { Codec } from './link.js';
import { wireError } from './wire.js';

export type ControlHandler = (cp: ControlPlane, data: Uint8Array) => Uint8Array;

/** An operation: decode the request, run it, encode the result or the error into the reply type. */
function op<Q, A extends { error: PbError | undefined }>(req: Codec<Q>, rep: Codec<A>, run: (cp: ControlPlane, q: Q) => Omit<A, 'error'> | void): ControlHandler {
  return (cp, data) => {
    let answer: A;
    try {
      let q: Q;
      try {
        q = req.decode(data);
      } catch (cause) {
        throw new MonitorError(MonitorErrorCode.INVALID_ARGUMENT, `malformed request: ${(cause as Error).message}`, { cause });
      }
      answer = { ...rep.fromPartial({}), ...(run(cp, q) ?? {}), error: undefined };
    } catch (e) {
      answer = { ...rep.fromPartial({}), error: wireError(e) };
    }
    return rep.encode(answer).finish();
  };
}

/** Control operations by subject suffix. */
export const CONTROL_OPS: Readonly<Record<string, ControlHandler>> = {
  'control.read-physical': op(ReadPhysicalRequest, ReadMemoryReply, (cp, q) => ({ data: Buffer.from(cp.readPhysical(q)) })),
  'control.write-physical': op(WritePhysicalRequest, StatusReply, (cp, q) => cp.writePhysical(q)),
  'control.read-virtual': op(ReadVirtualRequest, ReadMemoryReply, (cp, q) => ({ data: Buffer.from(cp.readVirtual(q)) })),
  'control.write-virtual': op(WriteVirtualRequest, StatusReply, (cp, q) => cp.writeVirtual(q)),
  'control.get-registers': op(GetRegistersRequest, GetRegistersReply, (cp, q) => cp.getRegisters(q)),
  'control.set-registers': op(SetRegistersRequest, StatusReply, (cp, q) => cp.setRegisters(q)),
  'control.inject': op(InjectRequest, StatusReply, (cp, q) => cp.inject(q)),
  'control.pause': op(PauseRequest, StatusReply, (cp, q) => cp.pause(q)),
  'control.resume': op(ResumeRequest, StatusReply, (cp, q) => cp.resume(q)),
  'control.set-single-step': op(SetSingleStepRequest, StatusReply, (cp, q) => cp.setSingleStep(q)),
  'control.set-page-permissions': op(SetPagePermissionsRequest, StatusReply, (cp, q) => cp.setPagePermissions(q)),
  'control.set-monitor-config': op(SetMonitorConfigRequest, StatusReply, (cp, q) => cp.setMonitorConfig(q)),
  'control.capabilities': op(CapabilitiesRequest, CapabilitiesReply, (cp, q) => cp.capabilities(q)),
  'control.get-trace': op(GetTraceRequest, GetTraceReply, (cp, q) => cp.trace(q)),
  'info': op(DomainInfoRequest, DomainInfoReply, (cp, q) => cp.info(q)),
};

