import type { PgLedgerStore } from "@tally/adapters"
import { Ledger, Limits } from "@tally/domain"
import { Clock, Effect, Layer, ManagedRuntime, type Result } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { shiftedClock } from "./support/ShiftedClock.ts"
import { createDatabase, type Isolation, pgStore, pool } from "./support/TestDatabase.ts"

/**
 * Auto top-up and refills under concurrency on a real PostgreSQL: two ledgers on two pools stand for
 * two processes. Spends racing past the threshold open one request; completing, failing and expiring
 * a request race and resolve it once; refills run by both processes apply once per account and
 * period. The rows are counted in the database itself, not only through the ledger.
 */
const setups: Array<[string, Isolation, Partial<PgLedgerStore.Options>]> = [
  ["group commit at READ COMMITTED", "read committed", {}],
  ["group commit at SERIALIZABLE", "serializable", {}],
  [
    "one operation per transaction",
    "read committed",
    { batchSizeMax: 1, writers: 6, overlapAfterMs: 0, soloWrites: false },
  ],
]

/** A clock past every auto top-up request's deadline. */
const aDayLater = shiftedClock(Limits.autoTopUpRequestExpiryMs + 60_000)
/** A clock in the next month, whatever the date: every monthly refill is due again. */
const nextMonth = shiftedClock(32 * 24 * 3_600_000)

describe.each(setups)("auto top-up and refills across two processes, %s", (name, isolation, options) => {
  const setup = name.replace(/[^A-Za-z]/g, "")
  let processes: Array<ManagedRuntime.ManagedRuntime<Ledger, unknown>> = []
  let database: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>
  beforeAll(async () => {
    const url = await createDatabase(isolation)
    processes = [0, 1].map(() => ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url, 6, options)))))
    database = ManagedRuntime.make(pool(url, 1))
  })
  afterAll(() => Promise.all([...processes.map((p) => p.dispose()), database.dispose()]))

  const run = <A, E>(body: (ledger: Ledger["Service"]) => Effect.Effect<A, E>, process = 0, clock?: Clock.Clock) =>
    processes[process]!.runPromise(
      Effect.flatMap(Ledger, body).pipe((effect) =>
        clock === undefined ? effect : Effect.provideService(effect, Clock.Clock, clock),
      ),
    )

  /** `count` operations at once, even ones on one process and odd ones on the other. */
  const atOnce = <A, E>(
    count: number,
    body: (ledger: Ledger["Service"], i: number) => Effect.Effect<A, E>,
    clockOf: (i: number) => Clock.Clock | undefined = () => undefined,
  ): Promise<Array<Result.Result<A, E>>> =>
    Promise.all(Array.from({ length: count }, (_, i) => run((l) => Effect.result(body(l, i)), i % 2, clockOf(i))))

  const rows = (table: "auto_top_up_requests" | "refills", accountId: string) =>
    database.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql<{ readonly count: bigint }>`SELECT count(*) FROM ${sql(table)} WHERE account_id = ${accountId}`.pipe(
          Effect.map(([row]) => Number(row?.count ?? 0)),
        ),
      ),
    )

  const expectCleanAudit = async () => expect((await run((l) => l.audit)).violations).toEqual([])

  test("64 concurrent spends crossing the threshold from two processes open exactly one request", async () => {
    const accountId = `crossing-${setup}`
    await run((l) => l.topUp({ accountId, amount: 1_280 }))
    await run((l) => l.configureAutoTopUp({ accountId, threshold: 500, amount: 1_000 }), 1)
    const results = await atOnce(64, (l) => l.spend({ accountId, amount: 20 }))
    expect(results.every((r) => r._tag === "Success")).toBe(true)
    expect(await run((l) => l.balance(accountId))).toBe(0)
    expect(await rows("auto_top_up_requests", accountId)).toBe(1)
    expect(await run((l) => l.autoTopUp(accountId), 1)).toMatchObject({ openRequestId: 1 })
    await expectCleanAudit()
  })

  test("a process whose last known state predates the settings still opens the request", async () => {
    const accountId = `stale-settings-${setup}`
    await run((l) => l.topUp({ accountId, amount: 1_000 }), 0)
    await run((l) => l.spend({ accountId, amount: 1 }), 0)
    // The other process sets auto top-up: the first one's last state knows nothing of it.
    await run((l) => l.configureAutoTopUp({ accountId, threshold: 500, amount: 700 }), 1)
    await run((l) => l.spend({ accountId, amount: 600 }), 0)
    expect(await run((l) => l.autoTopUp(accountId), 1)).toMatchObject({ openRequestId: 1 })
    // And once the other process resolves it, the first one's next debit opens the next request.
    await run((l) => l.failAutoTopUp({ accountId, requestId: 1, reason: "card_declined" }), 1)
    await run((l) => l.spend({ accountId, amount: 1 }), 0)
    expect(await run((l) => l.autoTopUp(accountId), 1)).toMatchObject({ openRequestId: 2, consecutiveFailures: 1 })
    expect(await rows("auto_top_up_requests", accountId)).toBe(2)
  })

  test("complete, fail and expire racing from two processes resolve each request once", async () => {
    const accounts = Array.from({ length: 8 }, (_, i) => `race-${setup}-${i}`)
    for (const accountId of accounts) {
      await run((l) => l.topUp({ accountId, amount: 150 }))
      await run((l) => l.configureAutoTopUp({ accountId, threshold: 100, amount: 500 }))
      await run((l) => l.spend({ accountId, amount: 100 }))
    }
    const results = await atOnce(
      accounts.length * 6,
      (l, i) => {
        const accountId = accounts[i % accounts.length]!
        switch (Math.floor(i / accounts.length)) {
          case 0:
          case 3:
            return l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: `pi-${i}` })
          case 1:
          case 4:
            return l.failAutoTopUp({ accountId, requestId: 1, reason: "card_declined" })
          default:
            return Effect.map(l.expireAutoTopUps, () => null)
        }
      },
      (i) => (Math.floor(i / accounts.length) === 2 ? aDayLater : undefined),
    )
    for (const [index, accountId] of accounts.entries()) {
      const mine = results.filter((_, i) => i % accounts.length === index)
      const resolvedHere = mine.filter(
        (r) => r._tag === "Success" && r.success !== null && "replayed" in r.success && !r.success.replayed,
      )
      const request = await run((l) => l.getAutoTopUpRequest({ accountId, requestId: 1 }))
      // The expiry resolves it without an answer of its own; otherwise exactly one completion or failure does.
      expect(resolvedHere.length).toBe(request.status === "expired" ? 0 : 1)
      const balance = await run((l) => l.balance(accountId))
      expect(balance).toBe(request.status === "completed" ? 550 : 50)
      const { entries } = await run((l) => l.entries({ accountId, kind: "top-up" }))
      expect(entries).toHaveLength(request.status === "completed" ? 2 : 1)
    }
    await expectCleanAudit()
  })

  test("refills run by two processes at once apply once per account and period", async () => {
    const accounts = Array.from({ length: 12 }, (_, i) => `refill-${setup}-${i}`)
    for (const accountId of accounts) {
      await run((l) =>
        l.configureRefill({ accountId, amount: 100, ceiling: 100, schedule: { period: "monthly", dayOfMonth: 1 } }),
      )
    }
    await atOnce(16, (l) => l.runDueRefills)
    for (const accountId of accounts) await run((l) => l.spend({ accountId, amount: 40 }))
    await atOnce(
      16,
      (l) => l.runDueRefills,
      () => nextMonth,
    )
    for (const accountId of accounts) {
      const { entries } = await run((l) => l.entries({ accountId, kind: "grant" }))
      expect(entries.map((e) => e.amount)).toEqual([40, 100])
      expect(await rows("refills", accountId)).toBe(2)
      expect(await run((l) => l.balance(accountId))).toBe(100)
    }
    await expectCleanAudit()
  })
})
