/**
 * Turns grpc-js server calls into chain calls: a CallContext whose signal aborts on client cancel or at the
 * deadline, carrying the incoming metadata and peer; and the unary and server-stream handler shapes.
 * @internal
 * @module
 */
import {
  Metadata,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';

type ServerSurfaceCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;
import { Subscription, type Observable } from 'rxjs';
import { withIncomingCall, responseHeadersOf, type CallMetadata } from '../chain/call-metadata.js';
import { clockOf } from '../chain/clock.js';
import type { CallContext } from '../chain/context.js';
import { Code } from '../chain/errors.js';
import type { Logger } from '../chain/logger.js';
import { toStatus } from './status.js';

function metadataRecord(metadata: Metadata): CallMetadata {
  const record: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(metadata.toJSON())) {
    record[name] = values.map((value) => (typeof value === 'string' ? value : value.toString('base64')));
  }
  return record;
}

/** Milliseconds the client gave this call, or undefined for no deadline. */
function timeoutMs(call: ServerSurfaceCall): number | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? Math.max(0, ms - Date.now()) : undefined;
}

/** The context of one server call, and `done()` to release its timer and listener when the call ends. */
function callContext(call: ServerSurfaceCall, base: CallContext): { ctx: CallContext; done: () => void } {
  const controller = new AbortController();
  const onCancel = (): void => controller.abort(new DOMException('cancelled by the client', 'AbortError'));
  const timeout = timeoutMs(call);
  let timer: NodeJS.Timeout | undefined;
  if (call.cancelled) onCancel();
  else call.on('cancelled', onCancel);
  if (timeout !== undefined) {
    timer = setTimeout(
      () => controller.abort(new DOMException('deadline exceeded', 'TimeoutError')),
      timeout,
    );
    timer.unref();
  }
  // The wire deadline is real time; inside, deadlines are read on the context's clock (a manual one in tests).
  const deadline = timeout === undefined ? undefined : clockOf(base).now() + timeout;
  const ctx = withIncomingCall(base.withSignal(controller.signal, deadline), metadataRecord(call.metadata), {
    address: call.getPeer(),
  });
  const done = (): void => {
    clearTimeout(timer);
    call.removeListener('cancelled', onCancel);
  };
  return { ctx, done };
}

function sendResponseHeaders(call: ServerSurfaceCall, ctx: CallContext): void {
  const headers = responseHeadersOf(ctx);
  if (headers.size === 0) return;
  const metadata = new Metadata();
  for (const [name, value] of headers) metadata.set(name, value);
  call.sendMetadata(metadata);
}

function logFailure(logger: Logger, path: string, error: unknown): void {
  const code: number = toStatus(error).code;
  // Internal errors are bugs or broken peers: worth a warning. Refusals with a status are the caller's concern.
  logger.log(code === Code.INTERNAL ? 'warn' : 'debug', 'call failed', { path, code, error });
}

/** What every handler of one server shares. */
export interface Edge {
  /** The context every call starts from. */
  readonly base: CallContext;
  readonly logger: Logger;
  /** Enders of the streams in flight: `close()` of the server ends them with UNAVAILABLE. */
  readonly openStreams: Set<(error: unknown) => void>;
}

/** A grpc-js unary handler running `run` in a chain context. */
export function unaryHandler<TRequest, TResponse>(
  path: string,
  edge: Edge,
  run: (request: TRequest, ctx: CallContext) => Promise<TResponse>,
): handleUnaryCall<TRequest, TResponse> {
  const { base, logger } = edge;
  return (call, callback) => {
    const { ctx, done } = callContext(call, base);
    let result: Promise<TResponse>;
    try {
      result = run(call.request, ctx);
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (response) => {
        done();
        sendResponseHeaders(call, ctx);
        callback(null, response);
      },
      (error: unknown) => {
        done();
        logFailure(logger, path, error);
        sendResponseHeaders(call, ctx);
        callback(toStatus(error));
      },
    );
  };
}

/** A grpc-js server-streaming handler writing what `open` emits, until it completes or the client cancels. */
export function serverStreamHandler<TRequest, TResponse>(
  path: string,
  edge: Edge,
  open: (request: TRequest, ctx: CallContext) => Observable<TResponse>,
): handleServerStreamingCall<TRequest, TResponse> {
  const { base, logger, openStreams } = edge;
  return (call) => {
    const { ctx, done: release } = callContext(call, base);
    const subscription = new Subscription();
    const done = (): void => {
      openStreams.delete(fail);
      release();
    };
    const fail = (error: unknown): void => {
      done();
      subscription.unsubscribe();
      logFailure(logger, path, error);
      call.emit('error', toStatus(error));
    };
    openStreams.add(fail);
    let events$: Observable<TResponse>;
    try {
      events$ = open(call.request, ctx);
    } catch (error) {
      fail(error);
      return;
    }
    subscription.add(
      events$.subscribe({
        next: (value) => call.write(value),
        error: fail,
        complete: () => {
          done();
          call.end();
        },
      }),
    );
    // Client cancel or deadline: stop producing. The call is already over, so nothing more is written.
    ctx.signal.addEventListener(
      'abort',
      () => {
        done();
        subscription.unsubscribe();
      },
      { once: true },
    );
  };
}
