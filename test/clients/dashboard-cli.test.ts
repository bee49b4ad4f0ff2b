/**
 * `tsvmi dashboard` as a user runs it: the demo OS booted embedded, the page
 * and its data served on the address printed, events enabled with --events,
 * Ctrl-C ends it with status 0.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { DashboardSnapshot } from '../../clients/dashboard/snapshot.js';
import { waitFor } from '../support/browser.js';
import { startNode, type Started } from '../support/node-process.js';

const TSVMI = join(process.cwd(), 'dist/clients/tsvmi.js');

describe('tsvmi dashboard', function () {
  this.timeout(60_000);
  let p: Started | undefined;
  afterEach(() => { if (p && p.child.exitCode === null) p.child.kill('SIGKILL'); });

  it('boots the demo OS and serves its live view until Ctrl-C', async () => {
    p = startNode([TSVMI, 'dashboard', '--listen', '127.0.0.1:0', '--mips', '20', '--events', 'cr']);
    const url = await waitFor('the dashboard\'s address', () => /dashboard on (http:\S+\/)/.exec(p!.io.err)?.[1]);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>tsvmi dashboard<\/title>/);
    const domain = await waitFor('CR3 writes seen, and the console', async () => {
      const s = (await (await fetch(`${url}api/snapshot`)).json()) as DashboardSnapshot;
      const d = s.domains[0]!;
      return (d.totals['writeCtrlreg'] ?? 0) > 0 && d.console.available && d.console.text.includes('tsvmi-os') && d;
    });
    assert.equal(domain.name, 'embedded');
    assert.equal(domain.control.allowed, true, 'embedded, the dashboard is the controller');
    p.child.kill('SIGINT');
    assert.equal(await p.exited, 0, p.io.err);
  });

  it('refuses contradictory options with status 2', async () => {
    p = startNode([TSVMI, 'dashboard', '--domain', 'x']);
    assert.equal(await p.exited, 2);
    assert.match(p.io.err, /--domain needs --nats/);
  });
});
