/**
 * Go durations (`time.ParseDuration`): a signed sequence of decimal numbers, each with a unit, such as `750ms`,
 * `1h30m`, `1.5s` or `-2m`; `0` needs no unit. Units: `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`.
 * @module
 */

const msPerUnit: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 MICRO SIGN
  μs: 1e-3, // U+03BC GREEK SMALL LETTER MU
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** The largest duration Go can hold: 2^63-1 nanoseconds, in milliseconds. */
const MAX_MS = 9_223_372_036_854.775;

const term = /(\d+\.?\d*|\.\d+)([^\d.]*)/y;

/**
 * Milliseconds in a Go duration string, or undefined when Go would reject it (no unit, unknown unit, empty,
 * out of range). Sub-millisecond parts are kept as fractions.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  term.lastIndex = 0;
  while (term.lastIndex < rest.length) {
    const match = term.exec(rest);
    const unit = match === null ? undefined : msPerUnit[match[2] ?? ''];
    if (match === null || unit === undefined) return undefined;
    total += Number(match[1]) * unit;
  }
  if (total > MAX_MS) return undefined;
  return total === 0 ? 0 : sign * total;
}

const units: readonly [string, number][] = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** A readable Go-style form of `ms` (`1h30m0s`, `750ms`, `0s`), for logs and help. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1_000) return `${sign}${+rest.toFixed(6)}ms`;
  let out = '';
  for (const [unit, size] of units) {
    if (unit === 's') {
      out += `${+(rest / size).toFixed(9)}s`;
      break;
    }
    const whole = Math.floor(rest / size);
    if (whole > 0 || out !== '') out += `${whole}${unit}`;
    rest -= whole * size;
  }
  return sign + out;
}
