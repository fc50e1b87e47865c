/**
 * The value types of NSM configs, parsed as Go's envconfig parses the matching Go field types: strings, bools
 * (`strconv.ParseBool`), integers, `time.Duration`, `url.URL` (NSM listen and dial URLs, scheme-less
 * `registry:5002` included), comma lists, `k1:v1,k2:v2` maps, CIDR groups and network service URLs.
 * @module
 */
import { isIP } from 'node:net';
import { formatNsmUrl, parseNsmUrl } from '../api/url.js';
import type { LogLevel } from '../chain/logger.js';
import { parseCidrGroups } from './cidr-groups.js';
import { parseGoDuration } from './duration.js';
import { parseNetworkServiceUrl, type NetworkServiceUrl } from './ns-url.js';
import { ValueProblem, valueType, type ValueType } from './value-type.js';

const fail = (message: string, showExample = true): never => {
  throw new ValueProblem(message, showExample);
};

export const string: ValueType<string> = valueType('string', 'any text', (text) => text);

const trueWords = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const falseWords = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

export const bool: ValueType<boolean> = valueType(
  'bool',
  'true, false',
  (text) => trueWords.includes(text) || (falseWords.includes(text) ? false : fail('is not a boolean')),
  'true',
);

/** A whole number from `min` to `max`, decimal or `0x` hex. */
export function int(min: number, max: number): ValueType<number> {
  return valueType('int', `${min}, ${max}`, (text) => {
    const t = text.replaceAll('_', '');
    const value = /^[+-]?(\d+|0[xX][0-9a-fA-F]+)$/.test(t) ? Number(t) : Number.NaN;
    if (!Number.isSafeInteger(value)) return fail('is not a whole number');
    if (value < min || value > max) return fail(`is not between ${min} and ${max}`, false);
    return value;
  });
}

function goDuration(positive: boolean): ValueType<number> {
  return valueType('duration', '750ms, 10s', (text) => {
    const ms = parseGoDuration(text);
    if (ms === undefined) return fail('is not a duration');
    if (ms < 0) return fail('must not be negative');
    if (positive && ms === 0) return fail('must be more than 0');
    return ms;
  });
}

/** A Go duration (`750ms`, `1h30m`), in milliseconds, not negative. */
export const duration: ValueType<number> = goDuration(false);

/** A Go duration in milliseconds, more than 0. */
export const positiveDuration: ValueType<number> = goDuration(true);

/** Unbracketed IPv6 `tcp://fe80::1:5001` → `tcp://[fe80::1]:5001`, as the nsmgr does with listen URLs. */
function bracketIpv6(text: string): string {
  const match = /^tcp:\/\/([^[\]/]*:[^[\]/]*):(\d+)\/?$/.exec(text);
  return match !== null && isIP(match[1] ?? '') === 6 ? `tcp://[${match[1]}]:${match[2]}` : text;
}

function nsmUrl(text: string): string {
  try {
    return formatNsmUrl(parseNsmUrl(bracketIpv6(text.trim())));
  } catch {
    return fail('is not a URL');
  }
}

const urlExample = 'unix:///var/lib/networkservicemesh/nsm.io.sock, tcp://10.0.0.1:5001, registry:5002';

/** A listen or dial URL, printed in canonical form (`registry:5002` → `tcp://registry:5002`). */
export const url: ValueType<string> = valueType('URL', urlExample, nsmUrl);

/** A URL that may be empty (undefined): Go's zero `url.URL`, e.g. "no registry". */
export const optionalUrl: ValueType<string | undefined> = valueType('URL', urlExample, (text) =>
  text.trim() === '' ? undefined : nsmUrl(text),
);

const items = (text: string): string[] =>
  text.trim() === '' ? [] : text.split(',').map((item) => item.trim());

export const urlList: ValueType<readonly string[]> = valueType('URL list', urlExample, (text) =>
  items(text).map((item) => (item === '' ? fail('has an empty entry') : nsmUrl(item))),
);

export const stringList: ValueType<readonly string[]> = valueType('list', 'a,b,c', (text) =>
  items(text).map((item) => (item === '' ? fail('has an empty entry') : item)),
);

export const stringMap: ValueType<Readonly<Record<string, string>>> = valueType(
  'map',
  'p2p:true,color:red',
  (text) => {
    const map: Record<string, string> = {};
    for (const item of items(text)) {
      const pair = item.split(':');
      if (pair.length !== 2) return fail(`has "${item}", which is not key:value`);
      map[pair[0]!.trim()] = pair[1]!.trim();
    }
    return map;
  },
);

export const cidrGroups: ValueType<readonly (readonly string[])[]> = valueType(
  'CIDR groups',
  '169.254.0.0/16, [10.0.0.0/24,fd00::/120],172.16.0.0/16',
  (text) => {
    const result = parseCidrGroups(text);
    return 'problem' in result ? fail(result.problem) : result.groups;
  },
);

const goLevels: Readonly<Record<string, LogLevel>> = {
  panic: 'error',
  fatal: 'error',
  error: 'error',
  warn: 'warn',
  warning: 'warn',
  info: 'info',
  debug: 'debug',
  trace: 'trace',
};

/** A logrus level name, any case (`panic` and `fatal` log as `error`). */
export const logLevel: ValueType<LogLevel> = valueType(
  'log level',
  'TRACE, DEBUG, INFO, WARN, ERROR',
  (text) => goLevels[text.toLowerCase()] ?? fail('is not a log level'),
);

/** One of `values` (compared ignoring case), returned as listed. */
export function oneOf<const TValue extends string>(values: readonly TValue[]): ValueType<TValue> {
  return valueType(values.join('|'), values.join(', '), (text) => {
    const found = values.find((v) => v.toLowerCase() === text.trim().toLowerCase());
    return found ?? fail(`is not one of: ${values.join(', ')}`, false);
  });
}

/** An IP address, or a CIDR whose address part is taken; empty stays empty ("choose one"). */
export const ipAddress: ValueType<string> = valueType('IP', '10.0.0.1, 10.0.0.1/24, fd00::1', (text) => {
  const address = text.trim().split('/')[0] ?? '';
  if (address === '') return '';
  return isIP(address) === 0 ? fail('is not an IP address') : address;
});

export const networkServiceUrls: ValueType<readonly NetworkServiceUrl[]> = valueType(
  'network service URL list',
  'kernel://icmp-responder/nsm-1, kernel://my-service/nsm-2?app=web',
  (text) =>
    items(text).map((item) => {
      const parsed = parseNetworkServiceUrl(item);
      return 'problem' in parsed ? fail(`has "${item}", which ${parsed.problem}`) : parsed;
    }),
);

/** JSON text that must parse to an array (Go decoders of JSON lists, e.g. DNS configs). */
export const jsonArray: ValueType<readonly unknown[]> = valueType('JSON array', '[]', (text) => {
  let value: unknown;
  try {
    value = JSON.parse(text === '' ? '[]' : text);
  } catch {
    return fail('is not JSON');
  }
  return Array.isArray(value) ? (value as unknown[]) : fail('is not a JSON array');
});
