import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * A clone of the repository alone must build, generate and test: nothing may read files beside or above it. The
 * vendor specs the code reads live in specs/ (specs/README.md).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/[\\/]$/, '');
const SPECS = join(ROOT, 'specs');
/** The code and the files a build or a test run reads (not eslint.config.js: its paths are import patterns). */
const SCANNED_DIRS = ['src', 'test', 'scripts', 'bench'];
const SCANNED_FILES = ['package.json', 'tsconfig.json', 'Dockerfile', 'docker-compose.yml'];
/** Generated or local output inside the scanned folders (.gitignore). */
const SKIPPED = ['node_modules', join('bench', 'results')];
const CODE = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs']);

/** A string the file holds: a literal in code, a string in JSON, a whole line in any other text. */
interface Literal {
  text: string;
  line: number;
}
interface Scanned {
  /** Relative to the repository, for messages. */
  path: string;
  /** What relative paths in the file are relative to: its folder (package.json's scripts: the repository). */
  base: string;
  lines: string[];
  literals: Literal[];
}

function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (SKIPPED.some((skip) => relative(ROOT, path) === skip || entry === skip)) continue;
    if (statSync(path).isDirectory()) found.push(...filesUnder(path));
    else found.push(path);
  }
  return found;
}

/** String literals and template parts of a script; `join(…)` / `resolve(…)` runs of literals also as one path. */
function codeLiterals(path: string, text: string): Literal[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const literals: Literal[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node))
      literals.push({ text: node.text, line: lineOf(node) });
    if (ts.isCallExpression(node)) {
      const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
      if (ts.isIdentifier(callee) && (callee.text === 'join' || callee.text === 'resolve')) {
        let run: string[] = [];
        for (const arg of [...node.arguments, undefined]) {
          if (arg && ts.isStringLiteralLike(arg)) run.push(arg.text);
          else {
            if (run.length > 1) literals.push({ text: run.join('/'), line: lineOf(node) });
            run = [];
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return literals;
}

function scan(path: string): Scanned | undefined {
  const bytes = readFileSync(path);
  if (bytes.includes(0)) return undefined; // binary
  const text = bytes.toString('utf8');
  const lines = text.split('\n');
  const ext = extname(path);
  const literals = CODE.has(ext)
    ? codeLiterals(path, text)
    : ext === '.json'
      ? lines.flatMap((line, i) =>
          [...line.matchAll(/"(?:[^"\\]|\\.)*"/g)].map((m) => ({ text: JSON.parse(m[0]) as string, line: i + 1 })),
        )
      : lines.map((line, i) => ({ text: line, line: i + 1 }));
  return { path: relative(ROOT, path), base: dirname(path), lines, literals };
}

const scanned: Scanned[] = [
  ...SCANNED_DIRS.flatMap((dir) => filesUnder(join(ROOT, dir))),
  ...SCANNED_FILES.map((file) => join(ROOT, file)).filter((file) => existsSync(file)),
]
  .map(scan)
  .filter((file): file is Scanned => file !== undefined);

/** The words of a string that may be paths: a command line splits into its arguments, `--out=x` gives `x`. */
const words = (text: string) => text.split(/[\s'"`=,;:()[\]{}]+/).filter(Boolean);
const isRelative = (word: string) => /^\.\.?(?:\/|$)/.test(word);
const inside = (path: string, dir: string) => path === dir || path.startsWith(dir + sep);

/** A word of a `for f in a b c; do … $f …` script, once per value. */
function expanded(word: string, literal: string): string[] {
  const loop = /for (\w+) in ([^;]+);/.exec(literal);
  if (!loop || !word.includes(`$${loop[1]}`)) return [word];
  return words(loop[2]!).map((value) => word.replaceAll(`$${loop[1]}`, value));
}

/**
 * A spec named relative to a spec folder the same file names (`new URL(name, SPECS)`), or by the end of its path
 * (`oauth.json` for `apps/oauth.json`, as the HighLevel test names its validators).
 */
const SPEC_NAME = /^[\w-]+(?:\/[\w-]+)*\.(?:json|ya?ml)$/;

/** Every spec file the scanned files read, with where they name it. */
function specReads(): Map<string, string[]> {
  const reads = new Map<string, string[]>();
  const read = (spec: string, where: string) => reads.set(spec, [...(reads.get(spec) ?? []), where]);
  for (const file of scanned) {
    const folders = new Set<string>();
    for (const { text, line } of file.literals) {
      for (const word of words(text).flatMap((w) => expanded(w, text))) {
        if (word.includes('://')) continue;
        const path = resolve(file.base, word);
        if (!inside(path, SPECS) || path === SPECS) continue;
        if (word.endsWith('/') || extname(path) === '') folders.add(path);
        else read(path, `${file.path}:${line}`);
      }
    }
    for (const { text, line } of file.literals) {
      if (folders.size === 0 || !SPEC_NAME.test(text)) continue;
      const candidates = [...folders].map((folder) => join(folder, text));
      const byEnd = [...folders].flatMap((folder) =>
        existsSync(folder) ? filesUnder(folder).filter((path) => path.endsWith(sep + text)) : [],
      );
      read(candidates.find((path) => existsSync(path)) ?? byEnd[0] ?? candidates[0]!, `${file.path}:${line}`);
    }
  }
  return reads;
}

describe('the repository stands alone', () => {
  it('has no relative path in the code, the tests, the scripts or the build files that leads out of it', () => {
    const outside: string[] = [];
    for (const file of scanned) {
      for (const { text, line } of file.literals) {
        for (const word of words(text).filter(isRelative)) {
          if (!inside(resolve(file.base, word), ROOT)) outside.push(`${file.path}:${line}: ${word}`);
        }
      }
    }
    assert.equal(outside.length, 0, `paths outside the repository:\n${outside.join('\n')}`);
  });

  it('does not name the sibling folder the vendor specs used to be read from', () => {
    const sibling = 'shared';
    const pattern = new RegExp(`\\b${sibling}/specs\\b|\\.\\./${sibling}\\b`);
    const named: string[] = [];
    for (const file of scanned) {
      file.lines.forEach((text, i) => {
        if (pattern.test(text)) named.push(`${file.path}:${i + 1}: ${text.trim()}`);
      });
    }
    assert.equal(named.length, 0, `read the vendor specs from specs/ instead:\n${named.join('\n')}`);
  });

  it('holds no absolute path of a machine in its strings', () => {
    const home = dirname(ROOT);
    const prefixes = new Set(['work', 'root', 'home', 'Users'].map((dir) => `/${dir}/`));
    if (home !== dirname(home)) prefixes.add(`${home}/`);
    const escaped = [...prefixes].map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    // Not the path of a URL (https://host/home/…), but a file: URL.
    const pattern = new RegExp(`(?:^|[^\\w.:/-]|file://)(?:${escaped.join('|')})`);
    const absolute: string[] = [];
    for (const file of scanned) {
      for (const { text, line } of file.literals) {
        if (pattern.test(text)) absolute.push(`${file.path}:${line}: ${text.trim()}`);
      }
    }
    assert.equal(absolute.length, 0, `machine paths:\n${absolute.join('\n')}`);
  });

  it('has every spec the code reads in specs/', () => {
    const reads = specReads();
    assert.ok(reads.size > 0, 'no read of a spec found: has the way the code names them changed?');
    const missing = [...reads]
      .filter(([spec]) => !existsSync(spec))
      .map(([spec, where]) => `${where.join(', ')}: ${relative(ROOT, spec)}`);
    assert.equal(missing.length, 0, `specs the code reads that are not in specs/:\n${missing.join('\n')}`);
  });

  it('keeps no spec in specs/ that nothing reads', () => {
    const reads = specReads();
    const unread = filesUnder(SPECS)
      .filter((path) => relative(SPECS, path) !== 'README.md' && !reads.has(path))
      .map((path) => relative(ROOT, path));
    assert.equal(unread.length, 0, `specs nothing reads (remove them and their line in specs/README.md):\n${unread}`);
  });
});
