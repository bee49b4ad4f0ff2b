/**
 * The block compiler: turns a hot decoded block into one JavaScript function,
 * so that the common instructions run inline, without a dispatch per
 * instruction or closures per operand. V8 then compiles that function to
 * machine code like any other. Instructions without an emitter are called
 * through their `exec` closure from the generated code, so every block can be
 * compiled, and behaviour is the interpreter's by construction.
 *
 * Contract with Cpu.run:
 *  - the function returns how many instructions retired and leaves `c.rip` at
 *    the next one;
 *  - before instruction k runs, `c.k = k`, so that a GuestFault thrown inside
 *    it tells the loop where RIP belongs; `c.kRetired` counts the instructions
 *    retired by earlier passes of a looping block;
 *  - after any store or called instruction it returns early if `c.breakBlock`
 *    was raised (a write into code, a stop request, a mode change).
 * It is only called with a budget that fits the whole block. A block whose
 * last instruction jumps back to its own start loops inside the function for
 * as many whole passes as the budget allows.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { HELPERS, type Helpers } from './helpers.js';

export type BlockFn = (c: Cpu, I: Insn[], budget: number) => number;

/** Blocks run this many times through the interpreter before they are compiled. */
export const HOT_THRESHOLD = 8;

const PRELUDE = 'const lo = c.lo, hi = c.hi, m = c.mmu; let r = 0; c.kRetired = 0;';

/** Source for instruction k; `inline` is false when it calls the interpreter's handler. */
function instructionSource(i: Insn, k: number, last: boolean, loopTo: string | undefined): { src: string; inline: boolean } {
  const ret = `return r + ${k + 1};`;
  const body = i.emit?.(i);
  if (body === undefined) {
    // Fallback: the interpreter's handler, with RIP where it expects it.
    const after = last ? '' : ` if (c.rip !== ${i.next} || c.breakBlock) ${ret}`;
    return { src: `c.k = ${k}; c.rip = ${i.next}; I[${k}].exec(c, I[${k}]);${after}`, inline: false };
  }
  let code = body.replaceAll('$I', `I[${k}]`);
  // The jump back to the block's start becomes another pass, while the budget lasts.
  if (loopTo !== undefined) code = code.replace(`c.rip = ${loopTo}; $RET`, `r += ${k + 1}; if (r + ${k + 1} > budget) { c.rip = ${loopTo}; return r; } c.kRetired = r; continue;`);
  code = code.replaceAll('$RET', ret);
  const stores = !last && /\bm\.write/.test(code) ? ` if (c.breakBlock) { c.rip = ${i.next}; ${ret} }` : '';
  return { src: `c.k = ${k}; { ${code} }${stores}`, inline: true };
}

export function compileBlock(insns: Insn[]): BlockFn {
  const lines = [PRELUDE, 'for (;;) {'];
  const start = String(insns[0]!.addr);
  let tailInline = false;
  insns.forEach((i, k) => {
    const last = k === insns.length - 1;
    const { src, inline } = instructionSource(i, k, last, last ? start : undefined);
    lines.push(`// ${k}: ${i.mnemonic} @${i.addr.toString(16)}`, src);
    if (last) tailInline = inline;
  });
  // A called last instruction has set c.rip itself; an inline one falls through to the next.
  const tail = insns[insns.length - 1]!;
  lines.push(tailInline ? `c.rip = ${tail.next}; return r + ${insns.length};` : `return r + ${insns.length};`, '}');
  const factory = new Function('H', `return function block(c, I, budget) {\n${lines.join('\n')}\n};`) as (h: Helpers) => BlockFn;
  return factory(HELPERS);
}
