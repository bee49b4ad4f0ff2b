/** The names the dashboard gives domain and vCPU states: the page's words and the metrics' `state` label. */
import { DomainState, VcpuState } from '../../src/generated/tsvmi/v1/control.js';

export const DOMAIN_STATES: ReadonlyMap<DomainState, string> = new Map([
  [DomainState.DOMAIN_STATE_RUNNING, 'running'],
  [DomainState.DOMAIN_STATE_PAUSED, 'paused'],
  [DomainState.DOMAIN_STATE_SHUTDOWN, 'shutdown'],
  [DomainState.DOMAIN_STATE_CRASHED, 'crashed'],
]);

export const VCPU_STATES: ReadonlyMap<VcpuState, string> = new Map([
  [VcpuState.VCPU_STATE_RUNNING, 'running'],
  [VcpuState.VCPU_STATE_PAUSED, 'paused'],
  [VcpuState.VCPU_STATE_HALTED, 'halted'],
  [VcpuState.VCPU_STATE_WAIT_FOR_SIPI, 'wait-for-sipi'],
]);
