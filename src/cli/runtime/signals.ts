/**
 * Signals, as the Go binaries handle them: SIGINT, SIGTERM, SIGHUP and SIGQUIT stop the component; SIGUSR1
 * turns on TRACE logs and SIGUSR2 restores the configured level. A second stop signal while stopping exits at
 * once.
 * @module
 */
import type { LogLevel } from '../../chain/logger.js';
import type { SwitchableLogger } from './logger.js';

const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** Installs the handlers; returns the function that removes them. */
export function handleSignals(
  logger: SwitchableLogger,
  level: LogLevel,
  stop: (signal: string) => boolean,
): () => void {
  const onStop = (signal: NodeJS.Signals): void => {
    if (stop(signal)) return;
    logger.log('warn', `${signal} while stopping: exiting now`);
    process.exit(130);
  };
  const toTrace = (): void => {
    logger.setLevel('trace');
    logger.log('info', 'log level set to TRACE (SIGUSR1)');
  };
  const toConfigured = (): void => {
    logger.setLevel(level);
    logger.log('info', `log level set to ${level.toUpperCase()} (SIGUSR2)`);
  };
  for (const signal of stopSignals) process.on(signal, onStop);
  process.on('SIGUSR1', toTrace);
  process.on('SIGUSR2', toConfigured);
  return () => {
    for (const signal of stopSignals) process.off(signal, onStop);
    process.off('SIGUSR1', toTrace);
    process.off('SIGUSR2', toConfigured);
  };
}
