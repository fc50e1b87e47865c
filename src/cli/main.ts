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
    '  demo                run a whole mesh in this process and show a connection being made (--nodes 2 for remote)',
    '  help [command]      show this help, or the help of a command',
    '',
  ].join('\n');

function nodesOption(args: readonly string[]): number {
  const at = args.indexOf('--nodes');
  if (at === -1) return 1;
  const nodes = Number(args[at + 1]);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8)
    throw new ConfigProblem('--nodes takes a whole number from 1 to 8');
  return nodes;
}

const write = (text: string): void => void process.stdout.write(text);

async function main(command: string | undefined, rest: readonly string[]): Promise<number> {
  const subcommand = subcommands.find(({ spec }) => spec.name === command);
  if (subcommand !== undefined) return runSubcommand(subcommand, rest, { env: process.env, stdout: write });
  switch (command) {
    case 'demo': {
      if (rest.includes('--help')) {
        write(
          'usage: nsm demo [--nodes N]\n\nStarts a registry, nsmgrs, forwarders, an endpoint and a client, connects, refreshes\nand closes, printing each step. --nodes 2 puts the endpoint on a second node.\n',
        );
        return 0;
      }
      const { runDemo } = await import('./demo.js');
      await runDemo((line) => write(`${line}\n`), { nodes: nodesOption(rest) });
      return 0;
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
