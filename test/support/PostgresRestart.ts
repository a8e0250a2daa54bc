import { execFile } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

/**
 * Restarts the PostgreSQL server of `dataDir` in immediate mode, as a crash does: no checkpoint,
 * every session cut, crash recovery on start. It uses the `pg_ctl` beside the running server's own
 * binary (named in `postmaster.opts`) and runs it as the data directory's owner, like the server.
 */
export const restartImmediately = async (dataDir: string) => {
  const options = await Fs.readFile(Path.join(dataDir, "postmaster.opts"), "utf8")
  const postgres = /^(\S+)/.exec(options)?.[1]
  if (postgres === undefined) throw new Error(`no server binary in ${dataDir}/postmaster.opts`)
  const { uid, gid } = await Fs.stat(dataDir)
  await run(
    Path.join(Path.dirname(postgres), "pg_ctl"),
    ["restart", "-D", dataDir, "-m", "immediate", "-w", "-l", Path.join(dataDir, "server.log")],
    {
      uid,
      gid,
      timeout: 60_000,
    },
  )
}
