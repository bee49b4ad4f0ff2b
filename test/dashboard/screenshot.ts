/**
 * `npm run dashboard:screenshot`: the picture of the dashboard in the README
 * (docs/dashboard.png), taken the way the browser tests look at it — the
 * demo OS in this process, a breakpoint on the system-call entry stepped over
 * by a controller session, CR and interrupt events, headless Chromium.
 */
import { join } from 'node:path';
import { runPaced } from '../../clients/commands/paced-run.js';
import { localDirectory } from '../../clients/dashboard/directory.js';
import { serveDashboard } from '../../clients/dashboard/server.js';
import { Breakpoints } from '../../src/introspect/breakpoints.js';
import { loadProfile } from '../../src/introspect/os/profile.js';
import { Vmi } from '../../src/introspect/vmi.js';
import { LocalLink } from '../../src/monitor/local-link.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { launchChromium, waitFor } from '../support/browser.js';
import { boot, OS } from '../support/demo-os.js';

const OUT = process.argv[2] ?? join(process.cwd(), 'docs/dashboard.png');
const KERNEL = join(OS, 'kernel.elf');

async function main(): Promise<void> {
  const profile = loadProfile(KERNEL);
  const { domain, serial } = boot(KERNEL, 2);
  const monitor = new Monitor(domain);
  const dash = await serveDashboard({ domains: localDirectory(monitor, { profile, console: { text: serial } }), port: 0 });
  const ctl = await Vmi.attach(new LocalLink(monitor), { profile });
  await ctl.monitor({ writeCtrlreg: { sync: false, onChangeOnly: true }, interrupt: { sync: false } });
  await new Breakpoints(ctl).insert(profile.syscallEntry);
  const run = runPaced(domain, 4);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(dash.url);
    // Enough of the run for the charts to have a shape: the second bench round on both CPUs.
    await waitFor('the guest to get going', () => serial().includes('round 3/8'), 60_000);
    await page.fill('[data-testid=log-filter]', 'softwareBreakpoint');
    await page.waitForTimeout(300); // one more push, so the log shows the filter applied
    await page.screenshot({ path: OUT, fullPage: true });
    console.error(`dashboard:screenshot: wrote ${OUT}`);
  } finally {
    await browser.close();
    run.stop();
    await ctl.close();
    await dash.close();
  }
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
