/**
 * A session whose domain link fails under it still answers every packet (gdb
 * would wait forever for a reply) with an error, and goes on. A lost link is
 * the domain's trouble, not a fault of the session: it is not reported as one.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { encodePacket } from '../../src/gdbsx/framing.js';
import { GdbSession } from '../../src/gdbsx/session.js';
import { Vmi } from '../../src/introspect/vmi.js';
import { LocalLink } from '../../src/monitor/local-link.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { boot, OS } from '../support/demo-os.js';

describe('gdbsx session faults', () => {
  it('answers E01 when the link is gone, and goes on answering', async () => {
    const { domain } = boot(join(OS, 'kernel.elf'), 1);
    await domain.run(1_000_000);
    const link = new LocalLink(new Monitor(domain));
    const vmi = await Vmi.attach(link);
    const sent: string[] = [], faults: unknown[] = [];
    const session = new GdbSession(vmi, (b) => { sent.push(Buffer.from(b).toString('latin1')); }, (e) => faults.push(e));
    await session.start();
    await session.receive(encodePacket(Buffer.from('QStartNoAckMode')));
    await link.close(); // the domain's side goes away under the session
    await session.receive(encodePacket(Buffer.from('g')));
    await session.receive(encodePacket(Buffer.from('qC')));
    const replies = sent.filter((t) => t.startsWith('$')).map((t) => /^\$([^#]*)#/.exec(t)![1]);
    assert.deepEqual(replies, ['OK', 'E01', 'QC1'], 'every packet got its reply');
    assert.deepEqual(faults, [], 'a lost link is no fault of the session');
  });
});
