/** Shifts and rotates (group 2), SHLD/SHRD. Owned by the shift/muldiv/bits work; not implemented yet. */
import type { OpcodeTable, RowSpec } from '../decode/table.js';

/** Group 2 rows /0../7 (ROL ROR RCL RCR SHL SHR SAL SAR) for operand string `o` (e.g. 'Ev,Ib', 'Eb,1', 'Ev,CL'). */
export const group2 = (_o: string): (RowSpec | undefined)[] => [];

export function register(_t: OpcodeTable): void {}
