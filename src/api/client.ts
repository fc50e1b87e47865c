/**
 * Dials NSM peers and gives typed clients that are chain handlers: `networkServiceClient(conn)` can be the tail
 * of a client chain, and a downstream failure arrives as a StatusError. Cancellation crosses the edge both
 * ways: aborting `ctx.signal` cancels the call, and `ctx.deadline` goes on the wire as the call deadline.
 * @module
 */
import {
  Client,
  credentials,
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  Metadata,
} from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import { outgoingMetadataOf, receivedHeadersSink } from '../chain/call-metadata.js';
import { clockOf } from '../chain/clock.js';
import type { CallContext } from '../chain/context.js';
import { fromServiceError } from './status.js';
import { grpcTarget, parseNsmUrl } from './url.js';

/** What a generated method definition provides (ts-proto grpc-js output). */
export interface MethodDefinition<TRequest, TResponse> {
  readonly path: string;
  readonly requestSerialize: (value: TRequest) => Buffer;
  readonly responseDeserialize: (value: Buffer) => TResponse;
}

export interface DialOptions {
  /** Default: insecure. */
  readonly credentials?: ChannelCredentials;
  readonly channelOptions?: ChannelOptions;
}

function callOptions(ctx: CallContext): { metadata: Metadata; options: CallOptions } {
  const metadata = new Metadata();
  for (const [name, values] of Object.entries(outgoingMetadataOf(ctx))) {
    for (const value of values) metadata.add(name, value);
  }
  const remaining = ctx.remainingMs(clockOf(ctx).now());
  return { metadata, options: remaining === undefined ? {} : { deadline: Date.now() + remaining } };
}

/**
 * Cancels a grpc-js call. grpc-js (1.14) still creates and starts the call underneath when it is cancelled right
 * after it was made: its resolving call makes its child in a promise callback without checking that it has
 * ended, so the server would get a call that nothing ever ends (a monitor stream stays subscribed there). A
 * second cancel on the next turn of the event loop reaches that child; on a call already over it does nothing.
 */
function cancelCall(call: { cancel(): void }): void {
  call.cancel();
  setImmediate(() => call.cancel());
}

/** One channel to an NSM peer, shared by every client made on it. */
export class NsmConnection {
  readonly url: string;
  readonly #client: Client;

  constructor(url: string, options: DialOptions = {}) {
    this.url = url;
    const target = grpcTarget(parseNsmUrl(url), 'dial');
    this.#client = new Client(
      target,
      options.credentials ?? credentials.createInsecure(),
      options.channelOptions,
    );
  }

  /** Closes the channel; calls in flight fail with CANCELLED or UNAVAILABLE. */
  close(): void {
    this.#client.close();
  }

  /** Resolves once the channel is connected, or rejects after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** @internal One unary call in `ctx`. */
  unary<TRequest, TResponse>(
    method: MethodDefinition<TRequest, TResponse>,
    request: TRequest,
    ctx: CallContext,
  ): Promise<TResponse> {
    const signal = ctx.signal;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const { metadata, options } = callOptions(ctx);
    return new Promise<TResponse>((resolve, reject) => {
      const call = this.#client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        options,
        (error, response) => {
          signal.removeEventListener('abort', onAbort);
          if (error) reject(signal.aborted ? signal.reason : fromServiceError(error));
          else resolve(response as TResponse);
        },
      );
      const onAbort = (): void => cancelCall(call);
      signal.addEventListener('abort', onAbort, { once: true });
      const sink = receivedHeadersSink(ctx);
      if (sink)
        call.on('metadata', (headers: Metadata) => {
          for (const [name, value] of Object.entries(headers.getMap())) sink.set(name, value.toString());
        });
    });
  }

  /**
   * @internal A server-streaming call as a cold Observable: each subscription makes one call; unsubscribing or
   * aborting `ctx.signal` cancels it and completes the stream.
   */
  serverStream<TRequest, TResponse>(
    method: MethodDefinition<TRequest, TResponse>,
    request: TRequest,
    ctx: CallContext,
  ): Observable<TResponse> {
    return new Observable<TResponse>((subscriber) => {
      const signal = ctx.signal;
      if (signal.aborted) {
        subscriber.complete();
        return undefined;
      }
      const { metadata, options } = callOptions(ctx);
      const call = this.#client.makeServerStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        options,
      );
      let over = false;
      const onAbort = (): void => cancelCall(call);
      signal.addEventListener('abort', onAbort, { once: true });
      call.on('data', (value: TResponse) => subscriber.next(value));
      call.on('end', () => {
        over = true;
        subscriber.complete();
      });
      call.on('error', (error: Parameters<typeof fromServiceError>[0]) => {
        over = true;
        if (signal.aborted) subscriber.complete();
        else subscriber.error(fromServiceError(error));
      });
      return () => {
        signal.removeEventListener('abort', onAbort);
        if (!over) cancelCall(call);
      };
    });
  }
}

/** Opens a channel to `url` (`unix:///path`, `tcp://host:port` or `host:port`). Connects lazily. */
export function dial(url: string, options?: DialOptions): NsmConnection {
  return new NsmConnection(url, options);
}
