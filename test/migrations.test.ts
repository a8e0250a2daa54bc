import { PgMigrations } from "@tally/adapters"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { describe, expect, test } from "vitest"
import { createDatabase, pool } from "./support/TestDatabase.ts"

describe("migrations", () => {
  test("two processes migrating one empty database at once both succeed, and the schema is applied once", async () => {
    const url = await createDatabase("read committed", false)
    const migrate = () => Effect.runPromise(PgMigrations.migrate.pipe(Effect.provide(pool(url, 1))))
    const [first, second] = await Promise.all([migrate(), migrate()])
    expect([...first, ...second].map(([id, name]) => `${id}_${name}`)).toEqual([
      "1_initial_schema",
      "2_operation_ids",
      "3_holds_corrections_history",
    ])
    const tables = await Effect.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{ name: string }>`
        SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
      ).pipe(Effect.provide(pool(url, 1))),
    )
    expect(tables.map((t) => t.name)).toEqual(["accounts", "entries", "holds", "idempotency_keys", "tally_migrations"])
  })

  test("migrating an up-to-date database changes nothing", async () => {
    const url = await createDatabase()
    expect(await Effect.runPromise(PgMigrations.migrate.pipe(Effect.provide(pool(url, 1))))).toEqual([])
  })
})
