import { Mechanism } from '../../../api/gen/connection.js';
import type { NetworkServiceElement } from '../../../chain/network-service.js';
import { Cls, MechanismType } from '../constants.js';

/** A NOOP mechanism (no data plane; no parameters). `cls` defaults to LOCAL. */
export function noopMechanism(cls: string = Cls.LOCAL): Mechanism {
  return Mechanism.fromPartial({ cls, type: MechanismType.NOOP });
}

/** True when `mechanism` is a NOOP mechanism (Go `noop.ToMechanism(m) != nil`). */
export function isNoop(mechanism: Mechanism | undefined): boolean {
  return mechanism?.type === MechanismType.NOOP;
}

/**
 * Server side of NOOP: accepts the mechanism and does nothing (Go endpoints register `null.NewServer()` for it).
 *
 * Where in the chain: inside `mechanismsServer({ NOOP: noopServer() })`.
 * @see https://github.com/networkservicemesh/api/tree/main/pkg/api/networkservice/mechanisms/noop
 */
export function noopServer(): NetworkServiceElement {
  return { name: 'mechanisms/noop' };
}
