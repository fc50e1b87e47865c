/**
 * The binaries' logger: JSON lines on stderr, with a level that can change while running (Go's SIGUSR1 to
 * TRACE, SIGUSR2 back to the configured level).
 * @module
 */
import { jsonLogger, type Logger, type LogLevel } from '../../chain/logger.js';

export interface SwitchableLogger extends Logger {
  setLevel(level: LogLevel): void;
}

/** A JSON logger at `level` whose lines carry `fields` (`cmd`, `name`); `write` defaults to stderr. */
export function switchableLogger(
  level: LogLevel,
  fields: Readonly<Record<string, unknown>>,
  write?: (line: string) => void,
): SwitchableLogger {
  let current = jsonLogger(level, fields, write);
  return {
    isEnabled: (at) => current.isEnabled(at),
    log: (at, message, extra) => current.log(at, message, extra),
    setLevel(next) {
      current = jsonLogger(next, fields, write);
    },
  };
}
