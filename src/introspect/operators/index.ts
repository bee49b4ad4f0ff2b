/** RxJS operators for the SDK's event streams. */
export { ofReason } from './of-reason.js';
export { onVcpu } from './on-vcpu.js';
export { withinRange } from './within-range.js';
export { decodeSyscall, syscallTable, type SyscallCall, type SyscallOffsets, type SyscallRecord, type SyscallReturn, type SyscallTable } from './decode-syscall.js';
