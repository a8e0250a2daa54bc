import { PgClient } from "@effect/sql-pg"
import { PgLedgerStore, PgMigrations } from "@tally/adapters"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { inject } from "vitest"

export type Isolation = "read committed" | "serializable"

/** The server's URL with another database's name. */
export const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/**
 * A database of its own for one test file, migrated, so files run in parallel without sharing
 * state. Its default isolation level stands for servers (distributed Postgres) that default to
 * SERIALIZABLE.
 */
export const createDatabase = async (isolation: Isolation = "read committed", migrated = true) => {
  const server = inject("postgresUrl")
  const name = `tally_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const url = withDatabase(server, name)
  const admin = PgClient.layer({ url: Redacted.make(server), maxConnections: 1 })
  await Effect.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE DATABASE ${sql(name)}`
      yield* sql`ALTER DATABASE ${sql(name)} SET default_transaction_isolation = ${sql.literal(`'${isolation}'`)}`
    }).pipe(Effect.provide(admin)),
  )
  if (migrated) await Effect.runPromise(PgMigrations.migrate.pipe(Effect.provide(pool(url, 1))))
  return url
}

export const pool = (url: string, maxConnections = 8) => PgClient.layer({ url: Redacted.make(url), maxConnections })

/** The PostgreSQL store on its own pool: one pool stands for one process. */
export const pgStore = (url: string, maxConnections = 8, options: Partial<PgLedgerStore.Options> = {}) =>
  PgLedgerStore.layer({ ...PgLedgerStore.defaults, ...options }).pipe(Layer.provide(pool(url, maxConnections)))
