import * as Os from "node:os"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { EmbeddedPostgres, PgLedgerStore } from "@tally/adapters"
import { Context, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { postmasterOf } from "./Resources.ts"

/**
 * The one PostgreSQL server of a run: `DATABASE_URL`, or a throwaway embedded server with the
 * default, durable settings (fsync and synchronous_commit on), since the cost of a commit is what
 * the bench is about. Every cell gets a database of its own on it. `BENCH_PG_SETTINGS` (JSON) adds
 * server settings for diagnostics, such as auto_explain; results taken with it are not comparable.
 */
export interface Server {
  readonly url: string
  readonly admin: SqlClient.SqlClient
  /** For CPU accounting; undefined when the server's processes are not visible. */
  readonly postmasterPid: number | undefined
  readonly version: string
  readonly fsync: string
  readonly synchronousCommit: string
}

export const pool = (url: string, maxConnections: number) => PgClient.layer({ url: Redacted.make(url), maxConnections })

/** A pool for Tally's store, its sessions set as `PgLedger.layer` and the service set theirs. */
export const storePool = (url: string, maxConnections: number) =>
  PgClient.layer({ url: Redacted.make(url), maxConnections, startupParameters: PgLedgerStore.sessionParameters })

const serverUrl = Effect.gen(function* () {
  const fromEnvironment = process.env.DATABASE_URL
  if (fromEnvironment !== undefined && fromEnvironment !== "") return fromEnvironment
  const dataDir = Path.join(Os.tmpdir(), `tally-bench-${process.pid}-${Date.now().toString(36)}`)
  // Diagnostics only (auto_explain, logging): extra `postgres -c` settings as JSON.
  const settings = JSON.parse(process.env.BENCH_PG_SETTINGS ?? "{}") as Record<string, string>
  const server = yield* EmbeddedPostgres.start({ dataDir, throwaway: true, settings })
  return Redacted.value(server.url)
})

/** Starts (or connects to) the server for the lifetime of the scope. */
export const acquire = Effect.gen(function* () {
  const url = yield* serverUrl
  const admin = Context.get(yield* Layer.build(pool(url, 1)), SqlClient.SqlClient)
  const [row] = yield* admin<{ pid: number; version: string; fsync: string; synchronous_commit: string }>`
    SELECT pg_backend_pid() AS pid, current_setting('server_version') AS version,
           current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit`
  return {
    url,
    admin,
    postmasterPid: postmasterOf(row!.pid),
    version: row!.version,
    fsync: row!.fsync,
    synchronousCommit: row!.synchronous_commit,
  } satisfies Server
})

export const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

let databasesCreated = 0

/** A new, empty database for the scope; dropped (disconnecting whoever is left) when it closes. */
export const fresh = (server: Server, label: string) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const name = `bench_${process.pid}_${++databasesCreated}_${label.replace(/[^a-z0-9]/g, "_")}`
      yield* server.admin`CREATE DATABASE ${server.admin(name)}`
      return name
    }),
    (name) => server.admin`DROP DATABASE IF EXISTS ${server.admin(name)} WITH (FORCE)`.pipe(Effect.orDie),
  ).pipe(Effect.map((name) => withDatabase(server.url, name)))

/** A durable point before measuring, so a checkpoint of earlier work does not land inside a cell. */
export const checkpoint = (server: Server) => server.admin`CHECKPOINT`.pipe(Effect.asVoid)
