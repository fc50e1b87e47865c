/**
 * Environment variable names as Go's envconfig derives them from a struct field name.
 * @module
 */

const words = /([^A-Z]+|[A-Z]+[^A-Z]+|[A-Z]+)/g;
const acronym = /([A-Z]+)([A-Z][^A-Z]+)/;

/**
 * The variable envconfig reads for field `field` under `prefix`: with `split_words`, the name is cut into
 * words (an acronym stays one word: `IPAMPolicy` → `IPAM_POLICY`, `RegistryURL` → `REGISTRY_URL`); without
 * it the name is used whole (`NSName` → `NSNAME`). Then `PREFIX_` is prepended and all is upper-cased.
 */
export function envconfigKey(prefix: string, field: string, splitWords: boolean): string {
  let key = field;
  if (splitWords) {
    const parts: string[] = [];
    for (const [word] of field.matchAll(words)) {
      const split = acronym.exec(word);
      if (split === null) parts.push(word);
      else parts.push(split[1] ?? '', split[2] ?? '');
    }
    if (parts.length > 0) key = parts.join('_');
  }
  return (prefix === '' ? key : `${prefix}_${key}`).toUpperCase();
}

/** The command-line flag for an env key: `NSM_MAX_TOKEN_LIFETIME` → `--max-token-lifetime`. */
export function flagOf(prefix: string, key: string): string {
  const bare = prefix !== '' && key.startsWith(`${prefix}_`) ? key.slice(prefix.length + 1) : key;
  return `--${bare.toLowerCase().replaceAll('_', '-')}`;
}
