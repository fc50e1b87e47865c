// Every element folder and public module has exactly one `exports` entry, and every entry points at a source
// file that exists (nothing internal leaks through a wildcard, nothing public is missing).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
};

const sourceOf = (target: string): string => target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');

test('every exports entry has its source file', () => {
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue;
    assert.ok(
      existsSync(new URL(sourceOf(target.default), root)),
      `${subpath} → ${target.default} has no source`,
    );
    assert.is(
      target.types,
      target.default.replace(/\.js$/, '.d.ts'),
      `${subpath}: types and default disagree`,
    );
  }
});

test('every element folder is exported', () => {
  const elements = readdirSync(new URL('src/elements/', root), { withFileTypes: true }).filter((d) =>
    d.isDirectory(),
  );
  for (const dir of elements) {
    assert.ok(pkg.exports[`./elements/${dir.name}`], `src/elements/${dir.name} has no exports entry`);
  }
});

test('no wildcard exports', () => {
  for (const subpath of Object.keys(pkg.exports)) assert.not.ok(subpath.includes('*'), subpath);
});

test.run();
