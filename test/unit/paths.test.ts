/** The package root that run-time files are found from (src/paths.ts), from the sources and from a build alike. */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { packagePath, packageRootOf, PACKAGE_ROOT } from '../../src/paths.js';

const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

describe('the package root', () => {
  it('is the repository, from a source module and from its compiled file at any depth', () => {
    assert.equal(PACKAGE_ROOT, ROOT);
    assert.equal(packageRootOf(pathToFileURL(join(ROOT, 'src', 'db', 'migrate.ts'))), ROOT);
    assert.equal(packageRootOf(join(ROOT, 'dist', 'src', 'db', 'migrate.js')), ROOT);
    assert.equal(packageRootOf(pathToFileURL(join(ROOT, 'dist', 'test-build-x', 'src', 'db')).href), ROOT);
    assert.equal(packagePath('migrations'), join(ROOT, 'migrations'));
  });

  it("passes another package's package.json on the way up", () => {
    assert.equal(packageRootOf(join(ROOT, 'node_modules', 'pg', 'lib')), ROOT);
  });

  it('says where it looked when no package.json of Opsflow is above', () => {
    assert.throws(() => packageRootOf(join(tmpdir(), 'elsewhere')), /no package\.json of opsflow at or above/);
  });
});
