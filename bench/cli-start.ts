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
 * packages/app/dist/main.js` cannot load `@tally/domain` (an installed `@tally/app` can).
 */

const repositoryRoot = Path.resolve(import.meta.dirname, "..")
const appDir = Path.join(repositoryRoot, "packages", "app")
const builtEntry = Path.join(appDir, "dist", "tally-cli-bench.mjs")

const manifestPackages = (dir: string): Array<string> => {
  const manifest = JSON.parse(Fs.readFileSync(Path.join(repositoryRoot, "packages", dir, "package.json"), "utf8"))
  return [manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies].flatMap((packages) =>
    Object.keys(packages ?? {}),
  )
}

const build = () =>
  Esbuild.build({
    entryPoints: { "tally-cli-bench": Path.join(appDir, "src", "main.ts") },
    outdir: Path.join(appDir, "dist"),
    chunkNames: "tally-cli-bench-chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    external: [...new Set(["domain", "adapters", "app"].flatMap(manifestPackages))]
      .filter((name) => !name.startsWith("@tally/"))
      .flatMap((name) => [name, `${name}/*`]),
    platform: "node",
    format: "esm",
    target: `node${process.versions.node}`,
    logLevel: "error",
  })

interface Probe {
  readonly name: string
  readonly args: ReadonlyArray<string>
}

const probes: ReadonlyArray<Probe> = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "built --version", args: [builtEntry, "--version"] },
  { name: "built balance --memory", args: [builtEntry, "balance", "alice", "--memory"] },
  { name: "source --version", args: ["--import", "tsx", "packages/app/src/main.ts", "--version"] },
  {
    name: "source balance --memory",
    args: ["--import", "tsx", "packages/app/src/main.ts", "balance", "alice", "--memory"],
  },
]

const timeOnce = (probe: Probe) => {
  const started = process.hrtime.bigint()
  const result = spawnSync(process.execPath, probe.args, { cwd: repositoryRoot, encoding: "utf8" })
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
  const samples = new Map(probes.map((probe) => [probe.name, [] as Array<number>]))
  for (let round = 0; round < options.repeats; round++) {
    for (const probe of probes) samples.get(probe.name)!.push(timeOnce(probe))
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
