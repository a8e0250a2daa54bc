import * as Fs from "node:fs"
import * as Path from "node:path"

/** The pid of the postmaster running on a PostgreSQL data directory, from its lock file; undefined when there is none. */
export const postmasterPid = (pgDataDir: string): number | undefined => {
  try {
    return Number(Fs.readFileSync(Path.join(pgDataDir, "postmaster.pid"), "utf8").split("\n")[0])
  } catch {
    return undefined
  }
}

/** The postmaster's pid, which must be there: the server is running. */
export const runningPostmasterPid = (pgDataDir: string): number => {
  const pid = postmasterPid(pgDataDir)
  if (pid === undefined) throw new Error(`no postmaster.pid in ${pgDataDir}`)
  return pid
}

/** Whether a process still runs: a zombie, killed but not yet reaped, does not. */
export const isRunning = (pid: number) => {
  try {
    return Fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z"
  } catch {
    return false
  }
}

/**
 * Signals every process of a PostgreSQL server: the postmaster first (so it forks no more), then its
 * children, each of which runs in a session of its own. A server that is not running is left alone.
 */
export const signalServer = (pgDataDir: string, signal: NodeJS.Signals) => {
  const postmaster = postmasterPid(pgDataDir)
  if (postmaster === undefined || !isRunning(postmaster)) return
  process.kill(postmaster, signal)
  for (const entry of Fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const parent = Number(Fs.readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.split(" ")[1])
      if (parent === postmaster) process.kill(Number(entry), signal)
    } catch {
      // The process ended meanwhile.
    }
  }
}
