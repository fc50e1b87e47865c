/**
 * The lexical side of the template subset: where an action ends, its words, Go string literals and the
 * trim-marker white space. Anything Go would reject throws {@link Unsupported}.
 * @module
 */

/** Thrown when the template is outside the subset or Go would report a parse or exec error. */
export class Unsupported extends Error {}

const spaceChars = ' \t\r\n';

/** Index of the `}}` closing an action, skipping over quoted strings; -1 when Go would not parse it. */
export function closingDelimiter(inner: string): number {
  if (inner.startsWith('/*')) {
    // A comment fills the whole action: "*/" right before "}}" or " -}}".
    const end = inner.indexOf('*/', 2) + 2;
    if (end < 2) return -1;
    if (inner.startsWith('}}', end)) return end;
    return /^[ \t\r\n]-\}\}/.test(inner.slice(end)) ? end + 2 : -1;
  }
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charAt(i);
    if (c === '"' || c === '`') {
      i = closingQuote(inner, i);
      if (i < 0) return -1;
    } else if (c === '}' && inner.charAt(i + 1) === '}') {
      return i;
    }
  }
  return -1;
}

function closingQuote(text: string, from: number): number {
  const quote = text.charAt(from);
  for (let i = from + 1; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '\\' && quote === '"') i++;
    else if (c === quote) return i;
    else if (c === '\n' && quote === '"') return -1;
  }
  return -1;
}

/** Splits an action into words, keeping quoted strings whole. */
export function splitWords(body: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < body.length) {
    if (spaceChars.includes(body.charAt(i))) {
      i++;
      continue;
    }
    let end = i;
    if (body.charAt(i) === '"' || body.charAt(i) === '`') {
      end = closingQuote(body, i);
      if (end < 0) throw new Unsupported('unterminated string');
      end++;
      if (end < body.length && !spaceChars.includes(body.charAt(end))) throw new Unsupported('bad word');
    } else {
      while (end < body.length && !spaceChars.includes(body.charAt(end))) end++;
    }
    words.push(body.slice(i, end));
    i = end;
  }
  return words;
}

const escapes: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
};

/** Go's strconv.Unquote for "..." and `...` (the common escapes; anything else is unsupported). */
export function unquote(word: string): string {
  if (word.length >= 2 && word.startsWith('`') && word.endsWith('`')) return word.slice(1, -1);
  if (word.length < 2 || !word.startsWith('"') || !word.endsWith('"')) {
    throw new Unsupported(`not a string: ${word}`);
  }
  return word
    .slice(1, -1)
    .replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e: string) => {
      if (e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
      const plain = escapes[e];
      if (plain === undefined) throw new Unsupported(`bad escape \\${e}`);
      return plain;
    });
}

export function trimStart(text: string): string {
  return text.replace(/^[ \t\r\n]+/, '');
}

export function trimEnd(text: string): string {
  return text.replace(/[ \t\r\n]+$/, '');
}
