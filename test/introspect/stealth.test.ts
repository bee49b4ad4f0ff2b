/**
 * Stealth breakpoints, with a guest that checksums its own code: eight rounds
 * of summing the bytes of its code page, then a `nop` where the breakpoint
 * goes. With stealth, every round's sum is the sum of the original code and
 * the breakpoint is still hit every round; without it (the control run), the
 * guest sees the int3 — so the test can tell them apart. On both transports.
 */
import assert from 'node:assert/strict';
import { Breakpoints } from '../../src/introspect/breakpoints.js';
import { Vmi } from '../../src/introspect/vmi.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { assemble } from '../support/asm.js';
import { breakpointDomain, CODE } from '../support/breakpoint-guest.js';
import { onEachTransport } from '../support/transports.js';

const ROUNDS = 8, SUMS = 0x30000, LEN = 64;
/** Flat 32-bit code at CODE: ROUNDS times, sum the LEN code bytes at CODE into SUMS[round]; `hot` is the breakpoint's. */
const PROGRAM = assemble(`.code32
  xor ebp, ebp
round:
  xor eax, eax
  mov esi, ${CODE}
  mov ecx, ${LEN}
sum:
  movzx edx, byte ptr [esi]
  add eax, edx
  inc esi
  dec ecx
  jnz sum
  mov [${SUMS} + ebp*4], eax
  inc ebp
hot:
  nop
  cmp ebp, ${ROUNDS}
  jne round
  hlt`);
const HOT = CODE + PROGRAM.indexOf(0x90); // the nop (the program has no other 0x90 byte)

onEachTransport('stealth breakpoints', 60_000, (serve) => {

  async function run(stealth: boolean): Promise<{ sums: number[]; original: number; hits: number; unveiled: number }> {
    const domain = breakpointDomain(1, 'demo');
    domain.mem.writeBytes(CODE, PROGRAM);
    const original = [...domain.mem.readBytes(CODE, LEN)].reduce((a, b) => a + b, 0);
    const served = await serve(new Monitor(domain));
    const vmi = await Vmi.attach(await served.link());
    const bps = new Breakpoints(vmi, { stealth });
    const bp = await bps.insert(BigInt(HOT));
    assert.equal((await domain.runForever()).kind, 'idle', 'the guest ran its rounds and halted');
    await bps.removeAll();
    const sums = Array.from({ length: ROUNDS }, (_, k) => domain.mem.read32(SUMS + 4 * k) >>> 0);
    return { sums, original, hits: bp.hits, unveiled: bps.stats.unveiled };
  }

  it('guest reads of the breakpoint byte see the original, and the breakpoint still fires', async () => {
    const hidden = await run(true);
    assert.deepEqual(hidden.sums, Array(ROUNDS).fill(hidden.original), 'every checksum is the original code\'s');
    assert.equal(hidden.hits, ROUNDS, 'hit once per round');
    assert.ok(hidden.unveiled >= ROUNDS * LEN, `each read of the page was served (${hidden.unveiled})`);
    const seen = await run(false);
    assert.deepEqual(seen.sums, Array(ROUNDS).fill(seen.original - 0x90 + 0xcc), 'without stealth the guest sums the int3');
    assert.equal(seen.hits, ROUNDS);
  });
});
