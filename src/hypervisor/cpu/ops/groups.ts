/**
 * Opcodes whose ModRM.reg field selects among instructions of several files
 * (SDM Vol. 2 appendix A.4, table A-6 "Opcode Extensions"): each group is
 * assembled here from the rows its members export.
 */
import type { OpcodeTable, RowSpec } from '../decode/table.js';
import { group } from '../decode/table.js';
import { DEC, INC, NEG, NOT, TEST_EI, group1 } from './arith.js';
import { CALL_EV, JMP_EV } from './control.js';
import { CALL_FAR_EP, JMP_FAR_EP } from './far.js';
import { MOV_EI } from './mov.js';
import { group3MulDiv } from './muldiv.js';
import { group2 } from './shift.js';
import { POP_EV, PUSH_EV } from './stackops.js';

function group3(o: string): (RowSpec | undefined)[] {
  const rows: (RowSpec | undefined)[] = [TEST_EI(`${o},I${o === 'Eb' ? 'b' : 'z'}`), undefined, NOT(o), NEG(o)];
  const md = group3MulDiv(o);
  for (let k = 4; k < 8; k++) rows[k] = md[k - 4];
  return rows;
}

export function register(t: OpcodeTable): void {
  t.one(0x80, group(group1('Eb,Ib')));
  t.one(0x81, group(group1('Ev,Iz')));
  t.one(0x83, group(group1('Ev,Ib')));
  t.one(0xc0, group(group2('Eb,Ib')));
  t.one(0xc1, group(group2('Ev,Ib')));
  t.one(0xd0, group(group2('Eb,1')));
  t.one(0xd1, group(group2('Ev,1')));
  t.one(0xd2, group(group2('Eb,CL')));
  t.one(0xd3, group(group2('Ev,CL')));
  t.one(0xf6, group(group3('Eb')));
  t.one(0xf7, group(group3('Ev')));
  t.one(0xfe, group([INC('Eb'), DEC('Eb')]));
  t.one(0xff, group([INC('Ev'), DEC('Ev'), CALL_EV, CALL_FAR_EP, JMP_EV, JMP_FAR_EP, PUSH_EV]));
  t.one(0x8f, group([POP_EV]));
  t.one(0xc6, group([MOV_EI('Eb,Ib')]));
  t.one(0xc7, group([MOV_EI('Ev,Iz')]));
}
