/**
 * Runs one component subcommand: `--help`, config from env and flags, then the component until it stops.
 * @module
 */
import type { LogLevel } from '../chain/logger.js';
import { commandHelp, parseConfig, wantsHelp } from '../config/index.js';
import type { Subcommand } from './commands/index.js';

export interface RunIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
}

/** Exit code of `nsm <subcommand.spec.name> ...argv`; config problems are thrown (ConfigProblem). */
export async function runSubcommand(
  subcommand: Subcommand,
  argv: readonly string[],
  io: RunIo,
): Promise<number> {
  const { spec } = subcommand;
  if (wantsHelp(argv)) {
    io.stdout(commandHelp(spec));
    return 0;
  }
  const { config } = parseConfig(spec, io.env, argv);
  const start = await subcommand.load();
  const { runComponent } = await import('./runtime/component.js');
  const values = config as Readonly<Record<string, unknown>>;
  const name = typeof values['name'] === 'string' ? values['name'] : spec.name;
  return runComponent(
    {
      command: spec.name,
      name,
      logLevel: values['logLevel'] as LogLevel,
      tokenLifetimeMs: values['maxTokenLifetime'] as number,
      config,
    },
    (component) => start(config, component),
  );
}
