#!/usr/bin/env node
/**
 * The `nsm` command line. Subcommands grow with the project (registry, nsmgr, forwarder, nse-icmp-responder,
 * nsc); today: `demo`.
 */
import { runDemo } from './demo.js';

const usage = `usage: nsm <command> [options]

commands:
  demo      run an endpoint and a client over a unix socket and show each step
  help      show this help
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      if (rest.includes('--help')) {
        process.stdout.write('usage: nsm demo\n\nStarts a demo endpoint and client and prints each step.\n');
        return 0;
      }
      await runDemo((line) => process.stdout.write(`${line}\n`));
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
