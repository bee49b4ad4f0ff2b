#!/usr/bin/env node
/** The `tsvmi` command line. */
import { runCommand, traceCommand } from './commands/run.js';

const USAGE = `usage: tsvmi <command> [options]

commands:
  run KERNEL.elf    boot a kernel image; the serial console goes to stdout
  trace KERNEL.elf  boot it and dump the per-vCPU exit and injection trace
                    (ktrdump style) on stdout; the console goes to stderr

Run 'tsvmi <command> --help' for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'run': return runCommand(rest);
    case 'trace': return traceCommand(rest);
    case undefined: case '-h': case '--help': case 'help':
      console.log(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      console.error(`tsvmi: unknown command '${cmd}'\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(`tsvmi: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
