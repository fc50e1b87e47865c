/**
 * Deep copies and proto3 equality for API messages (Go's `Clone()` and `proto.Equal`).
 * @module
 */

/**
 * A deep copy of a message; unknown fields kept by the decoder (byte arrays) are copied too. Messages are plain
 * objects, arrays, strings, numbers, booleans and Uint8Arrays, which is all this copies; it is several times
 * faster than `structuredClone`, and `begin` clones on every call.
 */
export function cloneMessage<TMessage>(message: TMessage): TMessage {
  return copy(message) as TMessage;
}

function copy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copy);
  if (value instanceof Uint8Array) return value.slice();
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (Object.hasOwn(value, key)) out[key] = copy((value as Record<string, unknown>)[key]);
  }
  return out;
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
