import { PgLedger, PgMigrations } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Config, ConfigProvider, Effect, Layer } from "effect"
import { describe, expect, test } from "vitest"
import { createDatabase, pool } from "./support/TestDatabase.ts"

/** The one-layer PostgreSQL ledger an application wires in. */

const topUpThenBalance = (accountId: string) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger
    yield* ledger.topUp({ accountId, amount: 500 })
    const { entry } = yield* ledger.topUp({ accountId, amount: 800, ceiling: 1000 })
    return { decision: entry.decision, balance: yield* ledger.balance(accountId) }
  })

describe("PgLedger", () => {
  test("PgLedger.layer({ url }) migrates a new database before the ledger uses it", async () => {
    const url = await createDatabase("read committed", false)
    const outcome = await Effect.runPromise(topUpThenBalance("a").pipe(Effect.provide(PgLedger.layer({ url }))))
    expect(outcome).toEqual({ decision: "Clamped", balance: 1000 })
    expect(await Effect.runPromise(PgMigrations.migrate.pipe(Effect.provide(pool(url, 1))))).toEqual([])
  })

  test("PgLedger.layerConfig reads its URL and pool size through Config", async () => {
    const url = await createDatabase("read committed", false)
    const layer = PgLedger.layerConfig({
      url: Config.Redacted("DATABASE_URL"),
      maxConnections: Config.Int("POOL_SIZE"),
    }).pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({ DATABASE_URL: url, POOL_SIZE: "2" }))))
    expect(await Effect.runPromise(topUpThenBalance("a").pipe(Effect.provide(layer)))).toEqual({
      decision: "Clamped",
      balance: 1000,
    })
  })

  test("with migrate: false the schema is left to a deploy step: writes wait for it, then work", async () => {
    const url = await createDatabase("read committed", false)
    const ledger = PgLedger.layer({ url, migrate: false })
    const unmigrated = await Effect.runPromise(Effect.flip(topUpThenBalance("a").pipe(Effect.provide(ledger))))
    expect(unmigrated._tag).toBe("LedgerUnavailable")
    await Effect.runPromise(PgMigrations.migrate.pipe(Effect.provide(pool(url, 1))))
    expect(await Effect.runPromise(topUpThenBalance("a").pipe(Effect.provide(ledger)))).toEqual({
      decision: "Clamped",
      balance: 1000,
    })
  })

  test("PgLedger.layerOnSqlClient shares the application's own pool with the ledger", async () => {
    const url = await createDatabase("read committed", false)
    const layer = PgLedger.layerOnSqlClient().pipe(Layer.provide(pool(url, 2)))
    expect(await Effect.runPromise(topUpThenBalance("a").pipe(Effect.provide(layer)))).toEqual({
      decision: "Clamped",
      balance: 1000,
    })
  })
})
