/**
 * Errors across the gRPC edge. Outgoing: a StatusError keeps its code and message, and its reason travels in
 * the trailer `nsm-error-reason` (additive: Go peers ignore it); aborts become CANCELLED or DEADLINE_EXCEEDED;
 * anything else is INTERNAL. Incoming: a grpc-js ServiceError becomes a StatusError, so a downstream failure
 * looks like a local one.
 * @module
 */
import { Metadata, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { Code, isStatusError, StatusError } from '../chain/errors.js';

/** Trailer carrying a StatusError's stable reason. */
export const reasonTrailer = 'nsm-error-reason';

export type StatusPayload = Partial<StatusObject> & { code: number; details: string };

/** The status a server answers with for `error`. */
export function toStatus(error: unknown): StatusPayload {
  const metadata = new Metadata();
  if (isStatusError(error)) {
    if (error.reason !== undefined) metadata.set(reasonTrailer, error.reason);
    return { code: error.code, details: error.message, metadata };
  }
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return { code: Code.DEADLINE_EXCEEDED, details: 'deadline exceeded', metadata };
  }
  if (error instanceof DOMException && error.name === 'AbortError') {
    return { code: Code.CANCELLED, details: 'cancelled', metadata };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: Code.INTERNAL, details: `internal error: ${message}`, metadata };
}

/** A StatusError for a failed client call. */
export function fromServiceError(error: ServiceError | StatusObject): StatusError {
  const reason = error.metadata?.get(reasonTrailer)[0];
  return new StatusError(error.code, error.details, {
    ...(typeof reason === 'string' ? { reason } : {}),
    cause: error,
  });
}
