import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const layout = /## Layout\n[\s\S]*?```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

const folders = (dir: string) =>
  readdirSync(join(root, dir), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'generated')
    .map((d) => d.name);

describe('README layout', () => {
  it('names every folder of src/, and every folder inside them', () => {
    assert.ok(layout.length > 0, 'README has a Layout section with a code block');
    for (const top of folders('src')) {
      assert.match(layout, new RegExp(`^src/${top}/ `, 'm'), `src/${top}/ is missing from the README's Layout`);
      for (const inner of folders(`src/${top}`))
        assert.match(layout, new RegExp(`\\b${inner}\\b`), `src/${top}/${inner}/ is missing from the README's Layout`);
    }
  });
});
