/**
 * tsvmi's client SDK: libvmi's API with RxJS event streams, over either
 * transport. Start with {@link connect} (NATS) or {@link Vmi.attach} with a
 * LocalLink (embedded), then {@link Vmi.on} for events, the memory and
 * register calls, {@link Breakpoints} and the OS-aware helpers.
 * @packageDocumentation
 */
export { Breakpoints, type Breakpoint } from './breakpoints.js';
export { connect, type VmiConnection } from './connect.js';
export { cpl, cpuMode, type CpuMode } from './cpu-mode.js';
export * from './errors.js';
export { eventAddress, type ReasonData, type ReasonName, type ReplyFlags, type VmiEvent, type VmiEventOf } from './event.js';
export { GuestMemory, type CacheStats } from './memory.js';
export * from './operators/index.js';
export { PageNotPresentError } from './paging.js';
export { formatTrace } from './trace.js';
export { listProcesses, type Process } from './os/processes.js';
export { buildProfile, loadProfile, ProfileError, type OffsetsFile, type Profile } from './os/profile.js';
export { Vmi, type AddressSpace, type AttachOptions, type Claim, type Handled, type Injection, type ReasonSettings, type TraceQuery } from './vmi.js';
// The wire types the API hands out, and the links it attaches through.
export type { MonitorEvent } from '../generated/tsvmi/v1/event.js';
export type { PageAccess } from '../generated/tsvmi/v1/common.js';
export { EventType } from '../generated/tsvmi/v1/common.js';
export { DomainState, VcpuState, type DomainInfoReply, type LatencyHistogram, type MonitorStats, type TraceEntry, type VcpuStats } from '../generated/tsvmi/v1/control.js';
export type { RegisterUpdate, Registers } from '../generated/tsvmi/v1/registers.js';
export { ErrorCode } from '../generated/tsvmi/v1/error.js';
export type { Controller, DomainLink } from '../monitor/link.js';
export { NatsLink } from '../monitor/nats-link.js';
