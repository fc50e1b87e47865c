/**
 * The component subcommands: each spec with the start function that runs it (loaded only when chosen).
 * @module
 */
import type { AnyField, CommandSpec, ConfigOf } from '../../config/index.js';
import type { Component } from '../runtime/component.js';
import { forwarderSpec, nscSpec, nseIcmpResponderSpec, nsmgrSpec, registrySpec } from '../specs/index.js';

type Spec = CommandSpec<Readonly<Record<string, AnyField>>>;

/** A subcommand: its spec and a loader of its start function. */
export interface Subcommand<TSpec extends Spec = Spec> {
  readonly spec: TSpec;
  readonly load: () => Promise<(config: ConfigOf<TSpec>, component: Component) => Promise<void>>;
}

/** Pairs a spec with its start function, forgetting the config type (the spec parses it). */
const subcommand = <TSpec extends Spec>(spec: TSpec, load: Subcommand<TSpec>['load']): Subcommand =>
  ({ spec, load }) as unknown as Subcommand;

export const subcommands: readonly Subcommand[] = [
  subcommand(registrySpec, async () => (await import('./registry.js')).startRegistry),
  subcommand(nsmgrSpec, async () => (await import('./nsmgr.js')).startNsmgr),
  subcommand(forwarderSpec, async () => (await import('./forwarder.js')).startForwarder),
  subcommand(
    nseIcmpResponderSpec,
    async () => (await import('./nse-icmp-responder.js')).startNseIcmpResponder,
  ),
  subcommand(nscSpec, async () => (await import('./nsc.js')).startNsc),
];
