/**
 * The part of Go's `text/template` that NSM label selectors use, over a `map[string]string` of client labels:
 * `{{.key}}`, `{{ .key }}`, `{{index . "key"}}`, `{{.}}`, comments and trim markers, mixed with plain text.
 * Where Go would fail to parse or execute, or the template uses something this subset does not cover, the
 * caller keeps the raw string (which is what NSM does on a Go error).
 * @module
 */

import { closingDelimiter, splitWords, trimEnd, trimStart, unquote, Unsupported } from './template-lexer.js';

type Labels = Readonly<Record<string, string>>;

/** A value during evaluation: a string, the labels map, or Go's invalid value (a missing map entry). */
type Value = { kind: 'string'; text: string } | { kind: 'map'; map: Labels } | { kind: 'invalid' };

const invalid: Value = { kind: 'invalid' };
const fieldChain = /^(?:\.[\p{L}\p{Nd}_]+)+$/u;

/** Renders `template` with `vars` as data; undefined when it cannot (the caller then uses it literally). */
export function renderTemplate(template: string, vars: Labels): string | undefined {
  if (!template.includes('{{')) return template;
  try {
    return render(template, vars);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

function render(template: string, vars: Labels): string {
  let out = '';
  let rest = template;
  let trimNext = false;
  for (;;) {
    const open = rest.indexOf('{{');
    let text = open < 0 ? rest : rest.slice(0, open);
    if (trimNext) text = trimStart(text);
    if (open < 0) return out + text;
    let inner = rest.slice(open + 2);
    // Go's trim markers are "{{- " and " -}}": the dash always next to one white space character.
    const trimBefore = inner.startsWith('-') && /^[ \t\r\n]$/.test(inner.charAt(1));
    if (trimBefore) inner = inner.slice(2);
    const close = closingDelimiter(inner);
    if (close < 0) throw new Unsupported('unclosed action');
    let action = inner.slice(0, close);
    trimNext = /[ \t\r\n]-$/.test(action);
    if (trimNext) action = action.slice(0, -1);
    out += (trimBefore ? trimEnd(text) : text) + evaluate(action, vars);
    rest = inner.slice(close + 2);
  }
}

function evaluate(action: string, vars: Labels): string {
  if (action.startsWith('/*')) return '';
  return print(value(action.trim(), vars));
}

function value(body: string, vars: Labels): Value {
  const data: Value = { kind: 'map', map: vars };
  if (body === '.') return data;
  if (fieldChain.test(body)) return fields(data, body.slice(1).split('.'));
  const words = splitWords(body);
  if (words[0] === 'index' && words.length >= 2) {
    let item = operand(words[1] ?? '', data);
    for (const word of words.slice(2)) item = index(item, unquote(word));
    return item;
  }
  if (words.length === 1 && /^["`]/.test(body)) return { kind: 'string', text: unquote(body) };
  throw new Unsupported(`unsupported action: ${body}`);
}

function operand(word: string, data: Value): Value {
  if (word === '.') return data;
  if (fieldChain.test(word)) return fields(data, word.slice(1).split('.'));
  throw new Unsupported(`unsupported operand: ${word}`);
}

/** `.a.b`: a missing entry is the invalid value, and stays so; a field of a string is an exec error. */
function fields(start: Value, names: readonly string[]): Value {
  let current = start;
  for (const name of names) {
    if (current.kind === 'invalid') return invalid;
    if (current.kind === 'string') throw new Unsupported(`can't evaluate field ${name} in type string`);
    current = lookup(current.map, name) ?? invalid;
  }
  return current;
}

/** `index`: a missing map entry is the zero value (""); indexing anything but a map is an error here. */
function index(item: Value, key: string): Value {
  if (item.kind !== 'map') throw new Unsupported('can only index the labels map');
  return lookup(item.map, key) ?? { kind: 'string', text: '' };
}

function lookup(map: Labels, key: string): Value | undefined {
  const text = Object.hasOwn(map, key) ? map[key] : undefined;
  return text === undefined ? undefined : { kind: 'string', text };
}

function print(v: Value): string {
  switch (v.kind) {
    case 'string':
      return v.text;
    case 'invalid':
      return '<no value>';
    case 'map': {
      const keys = Object.keys(v.map).sort();
      return `map[${keys.map((k) => `${k}:${v.map[k] ?? ''}`).join(' ')}]`;
    }
  }
}
