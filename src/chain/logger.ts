/**
 * A small structured logger interface. The default is silent; binaries plug in a JSON logger. Elements get it
 * with `loggerOf(ctx)` and never use `console`.
 * @module
 */
import { contextKey, type CallContext } from './context.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  /** True when messages at `level` are written; checked before building expensive messages. */
  isEnabled(level: LogLevel): boolean;
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export const silentLogger: Logger = {
  isEnabled: () => false,
  log: () => undefined,
};

const levels: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

/** True when `level` is at least as severe as `threshold`. */
export function levelAtLeast(level: LogLevel, threshold: LogLevel): boolean {
  return levels[level] >= levels[threshold];
}

/** A logger that writes one JSON object per line to `write` (stderr by default). */
export function jsonLogger(
  threshold: LogLevel,
  fields: Readonly<Record<string, unknown>> = {},
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Logger {
  return {
    isEnabled: (level) => levelAtLeast(level, threshold),
    log(level, message, extra) {
      if (!levelAtLeast(level, threshold)) return;
      const entry = { time: new Date().toISOString(), level, msg: message, ...fields, ...extra };
      write(JSON.stringify(entry, errorReplacer));
    },
  };
}

const loggerKey = contextKey<Logger>('logger');

export function loggerOf(ctx: CallContext): Logger {
  return ctx.value(loggerKey) ?? silentLogger;
}

export function withLogger(ctx: CallContext, logger: Logger): CallContext {
  return ctx.with(loggerKey, logger);
}

/** JSON.stringify drops Error properties; keep the ones a reader needs. */
function errorReplacer(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const { name, message } = value;
  const extra = value as Error & { code?: unknown; reason?: unknown };
  return { name, message, code: extra.code, reason: extra.reason, cause: value.cause };
}
