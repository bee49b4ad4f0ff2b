/** MUL/IMUL/DIV/IDIV and CBW/CWD. Owned by the shift/muldiv/bits work; not implemented yet. */
import type { OpcodeTable, RowSpec } from '../decode/table.js';

/** Group 3 rows /4../7 (MUL IMUL DIV IDIV) for operand string `o` ('Eb' or 'Ev'). */
export const group3MulDiv = (_o: string): (RowSpec | undefined)[] => [];

export function register(_t: OpcodeTable): void {}
