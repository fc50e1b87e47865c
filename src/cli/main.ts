#!/usr/bin/env node
/**
 * The `nsm` command line: the NSM components (`registry`, `nsmgr`, `forwarder`, `nse-icmp-responder`, `nsc`),
 * configured by the same NSM_* environment variables as the Go binaries or by flags, and `demo`.
 */
import { ConfigError } from '../chain/errors.js';
import { commandHelp, commandSummary, ConfigProblem } from '../config/index.js';
import { subcommands } from './commands/index.js';
import { runSubcommand } from './run.js';

const usage = (): string =>
  [
    'usage: nsm <command> [--option value ...]',
    '',
    'Components (configured by NSM_* environment variables or the matching --flags; `nsm <command> --help`',
    'describes each):',
    '',
    ...subcommands.flatMap(({ spec }) => [...commandSummary(spec), '']),
    'Other commands:',
    '',
    '  demo                run a mesh as separate processes with network namespaces as pods and show the',
    '                      connection live (--nodes 2: across two nodes; --once: one summary line)',
    '  help [command]      show this help, or the help of a command',
    '',
  ].join('\n');

const write = (text: string): void => void process.stdout.write(text);

async function main(command: string | undefined, rest: readonly string[]): Promise<number> {
  const subcommand = subcommands.find(({ spec }) => spec.name === command);
  if (subcommand !== undefined) return runSubcommand(subcommand, rest, { env: process.env, stdout: write });
  switch (command) {
    case 'demo': {
      const { demoCommand } = await import('./demo.js');
      return demoCommand(rest, {
        stdout: write,
        stderr: (text) => void process.stderr.write(text),
        tty: process.stdout.isTTY,
      });
    }
    case 'help': {
      const about = subcommands.find(({ spec }) => spec.name === rest[0]);
      write(about === undefined ? usage() : commandHelp(about.spec));
      return 0;
    }
    case undefined:
    case '--help':
    case '-h':
      write(usage());
      return 0;
    default:
      process.stderr.write(`nsm: unknown command "${command}"\n\n${usage()}`);
      return 2;
  }
}

/** After the command is done, the process should end by itself; if something still holds it, say what and go. */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => {
    const open = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'Timeout');
    process.stderr.write(
      `nsm: still running ${String(3000)} ms after stopping (open: ${open.join(', ')}); exiting\n`,
    );
    process.exit(code);
  }, 3000).unref();
}

const [command, ...rest] = process.argv.slice(2);
main(command, rest).then(exitSoon, (error: unknown) => {
  const prefix = command === undefined ? 'nsm' : `nsm ${command}`;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${prefix}: ${message}\n`);
  exitSoon(error instanceof ConfigProblem || error instanceof ConfigError ? 2 : 1);
});
