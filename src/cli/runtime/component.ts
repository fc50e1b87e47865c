/**
 * What every binary shares: JSON logs, tokens, a dialer, servers with the health service, a
 * `startup completed in <ms>` line, and a clean stop on SIGINT/SIGTERM (stop hooks, then background work
 * aborted, servers closed, channels closed, temp dirs removed).
 * @module
 */
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { grpcDialer } from '../../api/peer.js';
import { serve, type NsmServer, type NsmServices } from '../../api/server.js';
import { parseNsmUrl } from '../../api/url.js';
import { CallContext } from '../../chain/context.js';
import { withLogger, type Logger, type LogLevel } from '../../chain/logger.js';
import type { Dialer } from '../../chain/peer.js';
import type { TokenGenerator } from '../../chain/token.js';
import { tokenDialer } from '../../elements/token-dialer/index.js';
import { jwtTokenGenerator } from '../../elements/token-jwt/index.js';
import { switchableLogger, type SwitchableLogger } from './logger.js';
import { handleSignals } from './signals.js';

/** What a command's start function gets. */
export interface Component {
  readonly command: string;
  readonly name: string;
  readonly logger: Logger;
  /** Carries the logger; aborted as soon as a stop is requested (ends waits during startup). */
  readonly ctx: CallContext;
  /** Carries the logger; never aborted (for work while stopping, with its own timeout). */
  readonly background: CallContext;
  /** Background work of the chains: aborted when stopping, after the stop hooks ran. */
  readonly chainSignal: AbortSignal;
  readonly tokens: TokenGenerator;
  /** gRPC with this component's token on every call. */
  readonly dialer: Dialer;
  /** Serves `services` (and the health service) on `url`, creating a unix socket's directory. */
  serve(url: string, services: NsmServices): Promise<NsmServer>;
  /** A fresh directory, removed when the component stops. */
  tempDir(prefix: string): Promise<string>;
  /** Work to do when stopping while chains and connections still work (closing, unregistering); LIFO. */
  onStop(hook: () => Promise<void>): void;
  /** Asks the component to stop, as a signal does (e.g. the endpoint's idle timeout). */
  stop(reason: string): void;
}

export interface ComponentOptions {
  readonly command: string;
  readonly name: string;
  readonly logLevel: LogLevel;
  readonly tokenLifetimeMs: number;
  /** Logged at startup, as the Go binaries print their config. */
  readonly config: unknown;
  /** Where log lines go. Default: stderr. */
  readonly write?: (line: string) => void;
}

/** A promise that resolves when `signal` aborts. */
const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

/** The component's state and resources, released in order by `shutdown()`. */
class RunningComponent implements Component {
  readonly command: string;
  readonly name: string;
  readonly logger: SwitchableLogger;
  readonly ctx: CallContext;
  readonly background: CallContext;
  readonly tokens: TokenGenerator;
  readonly dialer: Dialer;
  readonly stopping = new AbortController();
  reason = '';
  readonly #chain = new AbortController();
  readonly #grpc = grpcDialer();
  readonly #servers: NsmServer[] = [];
  readonly #tempDirs: string[] = [];
  readonly #hooks: (() => Promise<void>)[] = [];

  constructor(options: ComponentOptions) {
    const { command, name } = options;
    this.command = command;
    this.name = name;
    this.logger = switchableLogger(options.logLevel, { cmd: command, name }, options.write);
    this.background = withLogger(CallContext.background(), this.logger);
    this.ctx = this.background.withSignal(this.stopping.signal);
    this.tokens = jwtTokenGenerator({
      spiffeId: `spiffe://nsm.local/${command}/${name}`,
      lifetimeMs: options.tokenLifetimeMs,
    });
    this.dialer = tokenDialer(this.#grpc, this.tokens);
  }

  get chainSignal(): AbortSignal {
    return this.#chain.signal;
  }

  async serve(url: string, services: NsmServices): Promise<NsmServer> {
    const address = parseNsmUrl(url);
    if (address.kind === 'unix') await mkdir(dirname(address.path), { recursive: true });
    const server = await serve(url, services, { baseContext: this.background, logger: this.logger });
    this.#servers.push(server);
    if (address.kind === 'unix') await chmod(address.path, 0o777).catch(() => undefined);
    this.logger.log('info', `listening on ${server.url}`);
    return server;
  }

  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.#tempDirs.push(dir);
    return dir;
  }

  onStop(hook: () => Promise<void>): void {
    this.#hooks.push(hook);
  }

  /** Starts stopping; false when already stopping. */
  stop(reason: string): boolean {
    if (this.stopping.signal.aborted) return false;
    this.reason = reason;
    this.stopping.abort(new DOMException(`stopping (${reason})`, 'AbortError'));
    return true;
  }

  /** Stop hooks (LIFO), then background work, servers, channels and temp dirs. */
  async shutdown(): Promise<void> {
    for (const hook of this.#hooks.splice(0).reverse()) {
      await hook().catch((error: unknown) => this.logger.log('error', 'stop step failed', { error }));
    }
    this.#chain.abort(new DOMException('component stopped', 'AbortError'));
    await Promise.all(this.#servers.splice(0).map((server) => server.close()));
    this.#grpc.closeAll();
    await Promise.all(this.#tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Runs `start`; true when it completed, false when a stop came first. Startup errors are rethrown. */
async function started(running: RunningComponent, start: (c: Component) => Promise<void>): Promise<boolean> {
  try {
    await start(running);
  } catch (error) {
    if (!running.stopping.signal.aborted) {
      running.logger.log('error', 'startup failed', { error });
      throw error;
    }
  }
  return !running.stopping.signal.aborted;
}

/**
 * Runs a component: `start` builds and serves it; then it runs until a stop signal and stops cleanly. Resolves
 * 0 after a clean stop; rejects with the startup error (after cleaning up) when `start` fails.
 */
export async function runComponent(
  options: ComponentOptions,
  start: (component: Component) => Promise<void>,
): Promise<number> {
  const begun = performance.now();
  const running = new RunningComponent(options);
  const { logger } = running;
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const unhandle = handleSignals(logger, options.logLevel, (signal) => running.stop(signal));
  try {
    logger.log('info', 'starting', { config: options.config });
    if (await started(running, start)) {
      logger.log('info', `startup completed in ${Math.round(performance.now() - begun)}ms`);
      await aborted(running.stopping.signal);
    }
    const stopBegun = performance.now();
    logger.log('info', `exit requested (${running.reason})`);
    await running.shutdown();
    logger.log('info', 'stopped', { stopMs: Math.round(performance.now() - stopBegun) });
    return 0;
  } catch (error) {
    await running.shutdown().catch(() => undefined);
    throw error;
  } finally {
    unhandle();
    clearInterval(keepAlive);
  }
}
