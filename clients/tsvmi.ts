#!/usr/bin/env node
/** The `tsvmi` command line. */
import { dashboardCommand } from './commands/dashboard.js';
import { eventsCommand } from './commands/events.js';
import { gdbsxCommand } from './commands/gdbsx.js';
import { memCommand } from './commands/mem.js';
import { pauseCommand } from './commands/pause.js';
import { psCommand } from './commands/ps.js';
import { regsCommand } from './commands/regs.js';
import { runCommand, traceCommand } from './commands/run.js';
import { straceCommand } from './commands/strace.js';
import { outputClosed } from './commands/target.js';

const USAGE = `usage: tsvmi <command> [options]

commands:
  run KERNEL.elf    boot a kernel image; the serial console goes to stdout
  trace KERNEL.elf  boot it and dump the per-vCPU exit and injection trace
                    (ktrdump style) on stdout; the console goes to stderr
  events            print a domain's events, like xen-access
  ps                list the guest's processes
  strace            trace the guest's system calls
  mem read|write    read or write guest memory
  regs              print a vCPU's registers
  pause, resume     pause or resume a served domain (or one vCPU)
  dashboard         the live web dashboard (and /metrics) of served domains,
                    or of the demo OS booted in-process
  gdbsx             serve a domain to gdb ('target remote'), like Xen's gdbsx;
                    or debug from the first instruction with 'run --gdb PORT'

The introspection commands reach a domain served with 'tsvmi run --nats' (give
--nats URL --domain NAME), or boot one in-process (no --nats).

Run 'tsvmi <command> --help' for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'run': return runCommand(rest);
    case 'trace': return traceCommand(rest);
    case 'events': return eventsCommand(rest);
    case 'ps': return psCommand(rest);
    case 'strace': return straceCommand(rest);
    case 'mem': return memCommand(rest);
    case 'regs': return regsCommand(rest);
    case 'pause': case 'resume': return pauseCommand(cmd, rest);
    case 'dashboard': return dashboardCommand(rest);
    case 'gdbsx': return gdbsxCommand(rest);
    case undefined: case '-h': case '--help': case 'help':
      console.log(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      console.error(`tsvmi: unknown command '${cmd}'\n${USAGE}`);
      return 2;
  }
}

// A reader that stops early (`| head`) closes the pipe: that ends the command quietly, as for any Unix tool.
// A command that has something to undo in the guest (breakpoints) hears of it and cleans up first.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  if (outputClosed.listenerCount('closed') > 0) outputClosed.emit('closed');
  else process.exit(0);
});

/** Exit once what was written has reached stdout and stderr: an embedded domain may still be running. */
const exit = (code: number): void => { process.stdout.write('', () => process.stderr.write('', () => process.exit(code))); };

main(process.argv.slice(2)).then(exit, (err: unknown) => {
  console.error(`tsvmi: ${err instanceof Error ? err.message : String(err)}`);
  exit(1);
});
