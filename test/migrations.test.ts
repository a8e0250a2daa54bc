import { PgMigrations } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import { describe, expect, test } from "vitest"
import { createDatabase, pgStore, pool } from "./support/TestDatabase.ts"

describe("migrations", () => {
  test("two processes migrating one empty database at once both succeed, and the schema is applied once", async () => {
    const url = await createDatabase("read committed", false)
    const migrate = () => Effect.runPromise(PgMigrations.migrate.pipe(Effect.provide(pool(url, 1))))
    const [first, second] = await Promise.all([migrate(), migrate()])
    expect([...first, ...second].map(([id, name]) => `${id}_${name}`)).toEqual([
      "1_initial_schema",
      "2_operation_ids",
      "3_holds_corrections_history",
      "4_events",
      "5_webhooks",
      "6_auto_top_ups_and_refills",
      "7_account_versions",
      "8_account_listing",
      "9_grants",
      "10_runs",
      "11_pending_credits",
      "12_wallets",
      "13_grant_expiring",
      "14_rules_as_functions",
      "15_chain_as_triggers",
      "16_references_as_triggers",
      "17_account_as_trigger",
      "18_webhook_deliveries_due_by_endpoint",
    ])
    const tables = await Effect.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{ name: string }>`
        SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
      ).pipe(Effect.provide(pool(url, 1))),
    )
    expect(tables.map((t) => t.name)).toEqual([
      "accounts",
      "auto_top_up_requests",
      "entries",
      "events",
      "grants",
      "holds",
      "idempotency_keys",
      "pending_credits",
      "refills",
      "tally_migrations",
      "webhook_attempts",
      "webhook_deliveries",
      "webhook_endpoints",
    ])
  })

  test("migrating an up-to-date database changes nothing", async () => {
    const url = await createDatabase()
    expect(await Effect.runPromise(PgMigrations.migrate.pipe(Effect.provide(pool(url, 1))))).toEqual([])
  })
})

describe("upgrading a ledger written before holds", () => {
  test("renames the incoming refund kind to reversal, and a key that recorded it still replays", async () => {
    const url = await createDatabase("read committed", false)
    const { "1_initial_schema": initial, "2_operation_ids": operationIds } = PgMigrations.migrations
    const before = { "1_initial_schema": initial, "2_operation_ids": operationIds }
    await Effect.runPromise(PgMigrations.migrateWith(before).pipe(Effect.provide(pool(url, 1))))
    await Effect.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.withTransaction(
          Effect.all([
            sql`INSERT INTO accounts (account_id, balance, last_sequence) VALUES ('old', 50, 1)`,
            sql`INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after,
                                     idempotency_key, created_at)
                VALUES ('old', 1, 'refund', 'Applied', 50, 50, 50, 'k1', now())`,
            sql`INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, entry_sequence)
                VALUES ('old', 'k1', ${'{"amount":50,"ceiling":null,"kind":"refund","metadata":{},"op":"TopUp"}'}, 1)`,
          ]),
        ),
      ).pipe(Effect.provide(pool(url, 1))),
    )
    const applied = await Effect.runPromise(PgMigrations.migrate.pipe(Effect.provide(pool(url, 1))))
    expect(applied.map(([id, name]) => `${id}_${name}`)).toEqual([
      "3_holds_corrections_history",
      "4_events",
      "5_webhooks",
      "6_auto_top_ups_and_refills",
      "7_account_versions",
      "8_account_listing",
      "9_grants",
      "10_runs",
      "11_pending_credits",
      "12_wallets",
      "13_grant_expiring",
      "14_rules_as_functions",
      "15_chain_as_triggers",
      "16_references_as_triggers",
      "17_account_as_trigger",
      "18_webhook_deliveries_due_by_endpoint",
    ])

    const ledger = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url))))
    try {
      const run = <A, E>(body: (l: Ledger["Service"]) => Effect.Effect<A, E>) =>
        ledger.runPromise(Effect.flatMap(Ledger, body))
      const { entries } = await run((l) => l.entries({ accountId: "old" }))
      expect(entries).toMatchObject([{ sequence: 1, kind: "reversal", amount: 50, overdrawn: false, refundOf: null }])
      const replay = await run((l) => l.topUp({ accountId: "old", amount: 50, kind: "reversal", idempotencyKey: "k1" }))
      expect(replay).toMatchObject({ replayed: true, entry: { sequence: 1, kind: "reversal" } })
      expect(await run((l) => l.balances("old"))).toEqual({ balance: 50, held: 0, available: 50, expiresNext: null })
      // Written after the upgrade, past the entry written before it: the checks of migrations 15 to 17 take it.
      const next = await run((l) => l.topUp({ accountId: "old", amount: 5, idempotencyKey: "k2" }))
      expect(next).toMatchObject({ replayed: false, entry: { sequence: 2, balanceAfter: 55 } })
      expect((await run((l) => l.audit)).violations).toEqual([])
    } finally {
      await ledger.dispose()
    }
  })
})
