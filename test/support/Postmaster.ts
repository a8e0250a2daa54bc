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
