import { spawn, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect } from "effect"
import { serverProcesses } from "../Resources.ts"

/**
 * Where PostgreSQL's CPU went during a measured phase, by stage of a write: `perf record` of every
 * process of the server, with call graphs unwound from the stack (`--call-graph dwarf`: PostgreSQL's
 * binaries keep no frame pointers), each sample put in a stage by the frames its stack holds
 * (`stages`). Shares of the samples, not times: a sample is worth the same in every stage.
 * Needs `perf` and the right to trace the server's processes (root, or `perf_event_paranoid` <= 1).
 */

/**
 * The stages, each with the frames that mark it, most specific first: a sample goes to the first
 * stage whose frames its stack holds. Stages nest (a foreign-key check runs an executor of its own,
 * the commit flushes the WAL), so the checks come before the executor and the flush before the rest
 * of the commit. A sample whose stack names none is "other" (the server's background processes too).
 */
const stages = [
  { stage: "commit: deferred foreign-key checks", frames: ["AfterTriggerFireDeferred"] },
  { stage: "executor: after-row triggers (immediate foreign-key checks)", frames: ["AfterTriggerEndQuery"] },
  { stage: "commit: WAL write and flush", frames: ["XLogFlush"] },
  { stage: "commit: the rest", frames: ["CommitTransaction"] },
  { stage: "executor: start (plan state, result relations, triggers)", frames: ["standard_ExecutorStart"] },
  {
    stage: "executor: run and finish (reads, writes, CHECKs, indexes, BEFORE triggers)",
    frames: ["standard_ExecutorRun", "standard_ExecutorFinish"],
  },
  { stage: "executor: end", frames: ["standard_ExecutorEnd"] },
  { stage: "socket: sending answers", frames: ["ReadyForQuery", "socket_flush", "internal_flush_buffer"] },
  { stage: "socket: reading the next message", frames: ["pq_getbyte", "pq_getmessage", "pq_recvbuf"] },
  {
    stage: "protocol: parameters, cached plan, query text, activity",
    frames: [
      "exec_bind_message",
      "GetCachedPlan",
      "InputFunctionCall",
      "OidInputFunctionCall",
      "pgstat_report_activity",
      "MemoryContextStrdup",
    ],
  },
] as const

export type Stage = (typeof stages)[number]["stage"] | "other"
export const stageNames: ReadonlyArray<Stage> = [...stages.map(({ stage }) => stage), "other"]

const stageOf = (frames: ReadonlySet<string>): Stage =>
  stages.find((stage) => stage.frames.some((frame) => frames.has(frame)))?.stage ?? "other"

/** Shares of the samples by stage, from `perf script -F comm,ip,sym` (a header line, then one frame per line, leaf first). */
export const fold = (script: string): Record<Stage, number> => {
  const counts = new Map<Stage, number>(stageNames.map((stage) => [stage, 0]))
  let frames: Array<string> = []
  let samples = 0
  const close = () => {
    if (frames.length === 0) return
    const stage = stageOf(new Set(frames))
    counts.set(stage, counts.get(stage)! + 1)
    samples++
    frames = []
  }
  for (const line of script.split("\n")) {
    if (!line.startsWith("\t")) {
      close()
      continue
    }
    const symbol = line.trim().split(/\s+/)[1]
    if (symbol !== undefined) frames.push(symbol)
  }
  close()
  return Object.fromEntries(
    stageNames.map((stage) => [stage, samples === 0 ? 0 : counts.get(stage)! / samples]),
  ) as Record<Stage, number>
}

/** Samples per second of each process: enough for shares within a few percent over a 3 s phase. */
const samplesPerSecond = 999

/**
 * Records the server's processes while the scope is open; its result, read when the scope closes,
 * is the shares by stage. Fails at once if `perf` cannot record.
 */
export const record = (postmasterPid: number) =>
  Effect.gen(function* () {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-pg-stages-"))
    const data = Path.join(dir, "perf.data")
    const perf = spawn(
      "perf",
      [
        "record",
        "-q",
        "-F",
        String(samplesPerSecond),
        "--call-graph",
        "dwarf,16384",
        "-o",
        data,
        "-p",
        serverProcesses(postmasterPid).join(","),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    )
    let errors = ""
    perf.stderr.on("data", (chunk) => {
      errors += chunk
    })
    const exited = new Promise<number | null>((resolve) => perf.once("exit", resolve))
    // perf opens its events before it writes the file's header: recording has begun once the file exists.
    yield* Effect.promise(async () => {
      for (let i = 0; i < 100 && !Fs.existsSync(data) && perf.exitCode === null; i++)
        await new Promise((resolve) => setTimeout(resolve, 20))
    })
    if (perf.exitCode !== null) return yield* Effect.die(new Error(`perf record failed: ${errors}`))
    return Effect.promise(async () => {
      perf.kill("SIGINT")
      await exited
      const script = spawnSync("perf", ["script", "-i", data, "-F", "comm,ip,sym"], {
        encoding: "utf8",
        maxBuffer: 1 << 30,
      })
      Fs.rmSync(dir, { recursive: true, force: true })
      if (script.status !== 0) throw new Error(`perf script failed: ${script.stderr}`)
      return fold(script.stdout)
    })
  })
