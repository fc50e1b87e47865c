/**
 * Deep copies and proto3 equality for API messages (Go's `Clone()` and `proto.Equal`).
 * @module
 */

/** A deep copy of a message; unknown fields kept by the decoder are copied too. */
export function cloneMessage<TMessage>(message: TMessage): TMessage {
  return structuredClone(message);
}

interface JsonCodec<TMessage> {
  toJSON(message: TMessage): unknown;
}

/**
 * proto3 equality: scalars equal their zero value when unset, empty lists and maps equal absent ones, and a
 * message field set to an empty message differs from an unset one. Compares the canonical JSON forms, which
 * omit zero values but keep present messages, ignoring map key order.
 */
export function protoEqual<TMessage>(
  codec: JsonCodec<TMessage>,
  a: TMessage | undefined,
  b: TMessage | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  return jsonEqual(codec.toJSON(a), codec.toJSON(b));
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && jsonEqual(left[key], right[key]));
}
