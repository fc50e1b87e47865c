/**
 * Label matching (NSM `tools/matchutils`): which endpoints and forwarders a network service's `matches` select
 * for a client's labels, and how registry Find queries match entries.
 * @module
 */
import { protoEqual } from '../../api/clone.js';
import {
  Match,
  type NetworkService,
  type NetworkServiceEndpoint,
  type NetworkServiceLabels,
} from '../../api/gen/registry.js';
import { renderTemplate } from './template.js';

/** A label map, as in `Connection.labels` or a selector. */
export type Labels = Readonly<Record<string, string>>;

const empty: Labels = Object.freeze({});

function own(map: Labels, key: string): string | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/**
 * True when every `key: value` of `b` is in `a`. A value of `b` that differs is rendered as a Go text/template
 * over `vars` (`"{{.nodeName}}"`) and compared again; a template that does not render is compared as written.
 * False at once when `a` has fewer entries than `b` (before any templating, as in Go).
 */
export function isSubset(a: Labels | undefined, b: Labels | undefined, vars: Labels | undefined): boolean {
  const left = a ?? empty;
  const right = b ?? empty;
  const keys = Object.keys(right);
  if (Object.keys(left).length < keys.length) return false;
  for (const key of keys) {
    const have = own(left, key) ?? '';
    const want = right[key] ?? '';
    if (have === want) continue;
    if (have !== (renderTemplate(want, vars ?? empty) ?? want)) return false;
  }
  return true;
}

/** The NSE's labels for service `ns` (undefined when it has none). */
function serviceLabels(nse: NetworkServiceEndpoint, service: string): Labels | undefined {
  const entry: NetworkServiceLabels | undefined = Object.hasOwn(nse.networkServiceLabels, service)
    ? nse.networkServiceLabels[service]
    : undefined;
  return entry?.labels;
}

/**
 * The endpoints `ns` selects for a client with `clientLabels`. Without matches: all of them. Otherwise the
 * first match whose source selector fits decides: every (route, endpoint) pair whose destination selector fits
 * adds the endpoint (so one can appear twice); an empty result falls through to the next match when the match
 * says so, or gives all endpoints when the match has metadata and no routes. No fitting match: none.
 */
export function matchEndpoint(
  clientLabels: Labels | undefined,
  ns: NetworkService,
  nses: readonly NetworkServiceEndpoint[],
): NetworkServiceEndpoint[] {
  if (ns.matches.length === 0) return [...nses];
  for (const match of ns.matches) {
    if (!isSubset(clientLabels, match.sourceSelector, clientLabels)) continue;
    const selected: NetworkServiceEndpoint[] = [];
    for (const route of match.routes) {
      for (const nse of nses) {
        if (isSubset(serviceLabels(nse, ns.name), route.destinationSelector, clientLabels))
          selected.push(nse);
      }
    }
    if (match.fallthrough && selected.length === 0) continue;
    if (match.metadata !== undefined && match.routes.length === 0 && selected.length === 0) return [...nses];
    return selected;
  }
  return [];
}

const p2p: Labels = Object.freeze({ p2p: 'true' });

/**
 * The forwarders `ns` allows for a client with `labels`: all of them when `ns` has no matches; otherwise those
 * whose labels under `forwarderServiceName` contain the first fitting match's `metadata.labels` (`{p2p: "true"}`
 * when there are none; an empty map arrives over gRPC as none), falling through on an empty result when the
 * match says so.
 */
export function matchForwarders(
  labels: Labels | undefined,
  ns: NetworkService,
  forwarders: readonly NetworkServiceEndpoint[],
  forwarderServiceName: string,
): NetworkServiceEndpoint[] {
  if (ns.matches.length === 0) return [...forwarders];
  const result: NetworkServiceEndpoint[] = [];
  for (const match of ns.matches) {
    if (!isSubset(labels, match.sourceSelector, labels)) continue;
    const wanted = match.metadata?.labels;
    const required = wanted !== undefined && Object.keys(wanted).length > 0 ? wanted : p2p;
    for (const forwarder of forwarders) {
      const forwarderLabels = serviceLabels(forwarder, forwarderServiceName);
      if (forwarderLabels !== undefined && isSubset(forwarderLabels, required, labels))
        result.push(forwarder);
    }
    if (match.fallthrough && result.length === 0) continue;
    break;
  }
  return result;
}

/** Registry Find matching of services: empty query fields match anything; `matches` compare deep-equal. */
export function matchNetworkServices(query: NetworkService, ns: NetworkService): boolean {
  return (
    (query.name === '' || query.name === ns.name) &&
    (query.payload === '' || query.payload === ns.payload) &&
    (query.matches.length === 0 ||
      (query.matches.length === ns.matches.length &&
        query.matches.every((match, i) => protoEqual(Match, match, ns.matches[i]))))
  );
}

/**
 * Registry Find matching of endpoints: empty query fields match anything; labels are contained per service,
 * expiration times compare whole seconds, service names are all present, and the URL is a substring.
 */
export function matchNetworkServiceEndpoints(
  query: NetworkServiceEndpoint,
  nse: NetworkServiceEndpoint,
): boolean {
  return (
    (query.name === '' || query.name === nse.name) &&
    labelsContain(nse.networkServiceLabels, query.networkServiceLabels) &&
    (query.expirationTime === undefined ||
      query.expirationTime.seconds === (nse.expirationTime?.seconds ?? 0)) &&
    query.networkServiceNames.every((name) => nse.networkServiceNames.includes(name)) &&
    (query.url === '' || nse.url.includes(query.url))
  );
}

function labelsContain(
  where: Readonly<Record<string, NetworkServiceLabels>>,
  what: Readonly<Record<string, NetworkServiceLabels>>,
): boolean {
  return Object.entries(what).every(([service, wanted]) => {
    if (!Object.hasOwn(where, service)) return false;
    const have = where[service]?.labels ?? empty;
    return Object.entries(wanted.labels).every(([key, value]) => own(have, key) === value);
  });
}
