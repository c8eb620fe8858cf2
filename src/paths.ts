import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Files Opsflow reads at run time from its own repository (the migrations, the Temporal deploy configuration, the
 * workflow sources), found from the package root rather than from a module's own place: a module runs from
 * `src/` under tsx and from the build output (`dist/src/`, `npm run build`) in the image, one directory deeper.
 */

const PACKAGE_NAME = 'opsflow';

/**
 * The directory of Opsflow's package.json at or above `from` (a file or directory path, or a `file:` URL). The
 * package name is checked, so a package.json of another package on the way up (one written into a build directory)
 * is passed by.
 *
 * @example
 * packageRootOf(import.meta.url); // '/app' for /app/dist/src/db/migrate.js
 */
export function packageRootOf(from: string | URL): string {
  const start = typeof from === 'string' && !from.startsWith('file:') ? from : fileURLToPath(from);
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME)
      return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} at or above ${start}`);
  }
}

/** Opsflow's package root: the repository, or `/app` in the image. */
export const PACKAGE_ROOT = packageRootOf(import.meta.url);

/**
 * A path inside the package, the same whether the calling module runs from its source or compiled.
 *
 * @example
 * const MIGRATIONS_DIR = packagePath('migrations');
 */
export function packagePath(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}
