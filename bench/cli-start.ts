import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as BinBundle from "../packages/app/bin/BinBundle.ts"

/**
 * `pnpm bench --cli`: how long a `tally` command takes to start and finish, as the published bin
 * (the bundle `pnpm build` makes, packages/app/bin/BinBundle.ts) and from the sources under tsx,
 * against `node -e 0` (what any node program pays) and `node --import tsx -e 0` (what tsx adds before
 * any of Tally loads) measured in the same rounds, so a busy machine moves them all. Medians of
 * `--repeats` rounds (default 9), each round running every command once, in turn.
 *
 * The bin is built into a directory of its own inside the app package, where it finds
 * `../package.json` and the PostgreSQL binaries' package as it does from `dist/`.
 *
 * `balance` runs on `--memory`, and on the default storage too: the embedded PostgreSQL in a data
 * directory an untimed first run initialises, so every timed run starts and stops a PostgreSQL server.
 */

const repositoryRoot = Path.resolve(import.meta.dirname, "..")
const appDir = Path.join(repositoryRoot, "packages", "app")

interface Probe {
  readonly name: string
  readonly args: ReadonlyArray<string>
  /** Runs on the embedded PostgreSQL (the default storage) rather than `--memory`. */
  readonly embedded?: true
}

const source = ["--import", "tsx", "packages/app/src/main.ts"]

const probes = (bin: string): ReadonlyArray<Probe> => [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "bin --version", args: [bin, "--version"] },
  { name: "bin balance --memory", args: [bin, "balance", "alice", "--memory"] },
  { name: "bin balance (embedded)", args: [bin, "balance", "alice"], embedded: true },
  { name: "node --import tsx -e 0", args: ["--import", "tsx", "-e", "0"] },
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
  const binDir = Fs.mkdtempSync(Path.join(appDir, ".bin-build-bench-"))
  const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-cli-bench-"))
  const timed = probes(Path.join(binDir, "main.js"))
  const samples = new Map(timed.map((probe) => [probe.name, [] as Array<number>]))
  try {
    await BinBundle.build(binDir)
    // Untimed: initialises the data directory, so the timed runs only start and stop the server.
    timeOnce(timed.find((probe) => probe.embedded)!, dataDir)
    for (let round = 0; round < options.repeats; round++) {
      for (const probe of timed) samples.get(probe.name)!.push(timeOnce(probe, dataDir))
    }
  } finally {
    Fs.rmSync(dataDir, { recursive: true, force: true })
    Fs.rmSync(binDir, { recursive: true, force: true })
  }
  const baseline = median(samples.get("node -e 0")!)
  const rows = timed.map((probe) => {
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
