/**
 * google.protobuf.Timestamp ↔ epoch milliseconds. Conversions keep sub-millisecond nanos where they can: a
 * Timestamp made from ms has whole-ms nanos, and reading one rounds down to the ms.
 * @module
 */
import type { Timestamp } from './gen/google/protobuf/timestamp.js';

export function timestampFromMs(epochMs: number): Timestamp {
  const seconds = Math.floor(epochMs / 1000);
  return { seconds, nanos: Math.round((epochMs - seconds * 1000) * 1e6) };
}

export function msFromTimestamp(timestamp: Timestamp): number {
  return timestamp.seconds * 1000 + Math.floor(timestamp.nanos / 1e6);
}

/** RFC 3339 with nanoseconds, as Go's `time.RFC3339Nano` prints UTC times (used for `nsm-client-token-expires`). */
export function rfc3339Nano(timestamp: Timestamp): string {
  const base = new Date(timestamp.seconds * 1000).toISOString().slice(0, 19);
  if (timestamp.nanos === 0) return `${base}Z`;
  const fraction = String(timestamp.nanos).padStart(9, '0').replace(/0+$/, '');
  return `${base}.${fraction}Z`;
}

/** Parses RFC 3339 (any fraction length, `Z` or an offset) into a Timestamp; undefined when malformed. */
export function parseRfc3339(text: string): Timestamp | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (match === null) return undefined;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return { seconds: ms / 1000, nanos: Number((match[2] ?? '').padEnd(9, '0')) };
}
