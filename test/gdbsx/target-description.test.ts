/**
 * The target description against the real gdb: gdb accepts it for
 * i386:x86-64 (it rejects a description that lacks what amd64 needs), every
 * register has one name, and gdb's remote register numbers and `g`-packet
 * offsets (`maint print remote-registers`) are exactly the layout gdbsx uses.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { G_PACKET_BYTES, REGISTERS, targetXml } from '../../src/gdbsx/target-description.js';

describe('gdbsx target description (checked by gdb)', () => {
  it('is accepted by gdb, with the register numbers and g-packet offsets gdbsx uses', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tsvmi-tdesc-')), 'target.xml');
    writeFileSync(file, targetXml());
    const r = spawnSync('gdb', ['-batch', '-nx', '-ex', `set tdesc filename ${file}`, '-ex', 'show architecture', '-ex', 'maint print remote-registers'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /rejected|error/i);
    assert.match(r.stdout, /i386:x86-64/);
    // Rows: Name Nr Rel Offset Size Type RmtNr gOffset; pseudo registers (eax, ax, ...) have no remote number.
    const remote = new Map<string, { regnum: number; offset: number; size: number }>();
    for (const line of r.stdout.split('\n')) {
      const m = /^ (\w+)\s+\d+\s+\d+\s+\d+\s+(\d+)\s+\S+\s+(\d+)\s+(\d+)\s*$/.exec(line);
      if (m) {
        assert.ok(!remote.has(m[1]!), `${m[1]} listed twice`);
        remote.set(m[1]!, { size: Number(m[2]), regnum: Number(m[3]), offset: Number(m[4]) });
      }
    }
    assert.deepEqual([...remote.keys()].sort(), REGISTERS.map((x) => x.name).sort(), 'the same registers, each once');
    for (const reg of REGISTERS) assert.deepEqual(remote.get(reg.name), { regnum: reg.regnum, offset: reg.offset, size: reg.bitsize / 8 }, reg.name);
    assert.equal(G_PACKET_BYTES, 608);
    for (const name of ['cr0', 'cr3', 'efer', 'k_gs_base', 'fs_base']) assert.ok(remote.has(name), name);
    assert.ok(!remote.has('orig_rax'), 'no linux feature');
  });
});
