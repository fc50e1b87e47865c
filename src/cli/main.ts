#!/usr/bin/env node
/**
 * The `nsm` command line. Subcommands grow with the project (registry, nsmgr, forwarder, nse-icmp-responder,
 * nsc); today: `demo`.
 */
import { runDemo } from './demo.js';

const usage = `usage: nsm <command> [options]

commands:
  demo      run a whole mesh in this process and show a connection being made (--nodes 2 for remote)
  help      show this help
`;

function nodesOption(args: readonly string[]): number {
  const at = args.indexOf('--nodes');
  if (at === -1) return 1;
  const nodes = Number(args[at + 1]);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8)
    throw new Error('--nodes takes a whole number from 1 to 8');
  return nodes;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      if (rest.includes('--help')) {
        process.stdout.write(
          'usage: nsm demo [--nodes N]\n\nStarts a registry, nsmgrs, forwarders, an endpoint and a client, connects, refreshes\nand closes, printing each step. --nodes 2 puts the endpoint on a second node.\n',
        );
        return 0;
      }
      await runDemo((line) => process.stdout.write(`${line}\n`), { nodes: nodesOption(rest) });
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return 0;
    default:
      process.stderr.write(`nsm: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`nsm: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
