import * as Fs from "node:fs/promises"
import * as Effect from "effect/Effect"

/**
 * Whether a process still runs, for the records Tally and PostgreSQL leave in a data directory.
 * A killed process stays a zombie until its parent (or, for an orphan, init) reaps it, and init
 * reaps slowly on some machines: `kill(pid, 0)` still succeeds on a zombie, so on Linux the state
 * in /proc decides. Elsewhere a process that answers the signal counts as running.
 */

/** Fields 3 (state) and 22 (start time, clock ticks since boot) of /proc/<pid>/stat. */
const stat = (pid: number) =>
  Effect.promise(() =>
    Fs.readFile(`/proc/${pid}/stat`, "utf8").then(
      (text) => {
        // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
        const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
        return { state: fields[0] ?? "", startTime: fields[19] ?? null }
      },
      () => undefined,
    ),
  )

const answersSignals = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Zombie (Z) or dead (X): gone, though its pid is not free yet. */
const gone = new Set(["Z", "X"])

/** The process's start time where the system tells it (Linux), so a reused pid is not taken for it. */
export const startTimeOf = (pid: number) => Effect.map(stat(pid), (status) => status?.startTime ?? null)

/** Whether `pid` runs (and, when `startTime` is given, is still the process that started then). */
export const isRunning = (pid: number, startTime: string | null = null) =>
  Effect.gen(function* () {
    if (!answersSignals(pid)) return false
    const status = yield* stat(pid)
    // Without /proc (not Linux) the signal is all there is; on Linux a missing entry means it just exited.
    if (status === undefined) return process.platform !== "linux"
    if (gone.has(status.state)) return false
    return startTime === null || status.startTime === startTime
  })
