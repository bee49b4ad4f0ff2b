/** The complete opcode table: every instruction group registers its rows. */
import { OpcodeTable } from '../decode/table.js';
import * as arith from './arith.js';
import * as atomic from './atomic.js';
import * as bits from './bits.js';
import * as control from './control.js';
import * as controlRegs from './control-regs.js';
import * as far from './far.js';
import * as groups from './groups.js';
import * as mov from './mov.js';
import * as msrOps from './msr-ops.js';
import * as muldiv from './muldiv.js';
import * as shift from './shift.js';
import * as stackops from './stackops.js';
import * as segments from './segments.js';
import * as string from './string.js';
import * as system from './system.js';
import * as tables from './tables.js';

const GROUPS = [arith, mov, control, far, controlRegs, msrOps, segments, tables, stackops, system, shift, muldiv, bits, string, atomic, groups];

let table: OpcodeTable | undefined;

/** The shared, immutable opcode table (built once). */
export function opcodeTable(): OpcodeTable {
  if (!table) {
    table = new OpcodeTable();
    for (const g of GROUPS) g.register(table);
  }
  return table;
}
