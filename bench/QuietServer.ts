import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { EmbeddedPostgres } from "@tally/adapters"
import { Context, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as Database from "./Database.ts"
import { postmasterOf } from "./Resources.ts"

/**
 * A throwaway embedded PostgreSQL for measuring CPU per operation: the bench's durable settings
 * (fsync and synchronous_commit on, as `Database.acquire` starts it) with autovacuum off, so a
 * vacuum that happens to start during one run does not land in that run's figure and not in the
 * next; each run starts from a CHECKPOINT instead. Vacuum's share of a write is left out of every
 * figure alike.
 */
export const start = (prefix: string) =>
  Effect.gen(function* () {
    const dataDir = Path.join(Os.tmpdir(), `${prefix}-${process.pid}-${Date.now().toString(36)}`)
    const server = yield* EmbeddedPostgres.start({ dataDir, throwaway: true, settings: { autovacuum: "off" } })
    const url = Redacted.value(server.url)
    const admin = Context.get(yield* Layer.build(Database.pool(url, 1)), SqlClient.SqlClient)
    const [row] = yield* admin<{ pid: number; version: string; fsync: string; synchronous_commit: string }>`
      SELECT pg_backend_pid() AS pid, current_setting('server_version') AS version,
             current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit`
    const postmasterPid = postmasterOf(row!.pid)
    if (postmasterPid === undefined) return yield* Effect.die(new Error("the postmaster is not visible in /proc"))
    return {
      url,
      admin,
      postmasterPid,
      version: row!.version,
      fsync: row!.fsync,
      synchronousCommit: row!.synchronous_commit,
    }
  })

export type QuietServer = Effect.Success<ReturnType<typeof start>>

/**
 * Writes `bench/results/<file>`: the command, date, commit, machine, this server's durability settings
 * and the load average over `loads`, then the script's own `fields`.
 */
export const writeResults = (
  script: string,
  file: string,
  server: QuietServer,
  loads: ReadonlyArray<number>,
  fields: Record<string, unknown>,
) => {
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim()
  const out = Path.join(import.meta.dirname, "results", file)
  const { version, fsync, synchronousCommit } = server
  const record = {
    command: `node --import tsx bench/${script} ${process.argv.slice(2).join(" ")}`.trim(),
    date: new Date().toISOString(),
    commit,
    cores: Os.cpus().length,
    node: process.version,
    postgres: { version, fsync, synchronousCommit, autovacuum: "off" },
    loadAverage: { min: Math.min(...loads), max: Math.max(...loads) },
    ...fields,
  }
  Fs.writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`)
  console.log(`\nwritten to ${Path.relative(process.cwd(), out)}`)
}
