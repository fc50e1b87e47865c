/**
 * CIDR groups (Go `cidr.Groups`): `[a,b],c` is two groups, `{a, b}` and `{c}`. An endpoint gives each
 * connection one address pair per group, which is how it hands out IPv4 and IPv6 together.
 * @module
 */
import { formatCidr, parseCidr } from '../elements/mechanisms/index.js';

/** Go `net.ParseCIDR`, printed as Go prints the network it returns (`10.0.0.5/24` → `10.0.0.0/24`). */
export function normalizeCidr(text: string): string | undefined {
  const cidr = parseCidr(text);
  return cidr === undefined
    ? undefined
    : formatCidr({ family: cidr.ip.family, value: cidr.network }, cidr.bits);
}

/** Where the brackets of `value` are wrong, as Go's check reports it; undefined when they are fine. */
function bracketProblem(value: string): string | undefined {
  if (value.length < 2) return 'is too short to be a CIDR';
  let open = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '[') {
      if (open) return 'opens a group inside a group';
      open = true;
    } else if (c === ']') {
      if (!open) return 'closes a group that was not opened';
      if (i + 1 === value.length) return undefined;
      if (i + 2 === value.length) return 'ends with a comma';
      if (value[i + 1] !== ',') return 'needs a comma after "]"';
      open = false;
    }
  }
  return open ? 'has a group that is not closed' : undefined;
}

/**
 * The groups in `text` (spaces ignored, each CIDR normalized to its network), or a problem description
 * (`"x" is not a CIDR`, `has an empty entry`, bracket errors). Empty text is no groups.
 */
export function parseCidrGroups(text: string): { groups: string[][] } | { problem: string } {
  const value = text.replaceAll(' ', '');
  if (value === '') return { groups: [] };
  const problem = bracketProblem(value);
  if (problem !== undefined) return { problem };
  const groups: string[][] = [];
  let inside = false;
  for (const item of value.split(',')) {
    if (!inside) groups.push([]);
    const bare = item.replace(/^\[+/, '').replace(/\]+$/, '');
    if (bare === '') return { problem: 'has an empty entry' };
    const cidr = normalizeCidr(bare);
    if (cidr === undefined) return { problem: `has "${bare}", which is not a CIDR` };
    groups[groups.length - 1]?.push(cidr);
    if (item.endsWith(']')) inside = false;
    else if (item.startsWith('[')) inside = true;
  }
  return { groups };
}
