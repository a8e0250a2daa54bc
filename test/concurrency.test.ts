import type { PgLedgerStore } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Effect, Layer, ManagedRuntime, type Result } from "effect"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { createDatabase, type Isolation, pgStore } from "./support/TestDatabase.ts"

/**
 * Concurrency against a real PostgreSQL: two ledgers on two pools of several connections each
 * stand for two processes writing to one database. Requests alternate between them.
 */
const setups: Array<[string, Isolation, Partial<PgLedgerStore.Options>]> = [
  ["group commit at READ COMMITTED", "read committed", {}],
  ["group commit at SERIALIZABLE", "serializable", {}],
  // Four batches in flight at once in each process, as when batches are held up.
  ["group commit, four batches at once", "read committed", { writers: 4, overlapAfterMs: 0 }],
  // One operation per locked transaction and many writers: every decision rests on the row lock alone.
  [
    "one operation per transaction at READ COMMITTED",
    "read committed",
    { batchSizeMax: 1, writers: 6, overlapAfterMs: 0, soloWrites: false },
  ],
  [
    "one operation per transaction at SERIALIZABLE",
    "serializable",
    { batchSizeMax: 1, writers: 6, overlapAfterMs: 0, soloWrites: false },
  ],
  // Every unkeyed operation alone as a compare-and-swap on a state cached per process, which the
  // other process keeps making stale.
  [
    "solo compare-and-swap writes at READ COMMITTED",
    "read committed",
    { batchSizeMax: 1, writers: 6, overlapAfterMs: 0 },
  ],
  ["solo compare-and-swap writes at SERIALIZABLE", "serializable", { batchSizeMax: 1, writers: 6, overlapAfterMs: 0 }],
]

describe.each(setups)("two processes writing concurrently, %s", (name, isolation, options) => {
  const setup = name.replace(/[^A-Za-z]/g, "")
  let processes: Array<ManagedRuntime.ManagedRuntime<Ledger, unknown>> = []
  beforeAll(async () => {
    const url = await createDatabase(isolation)
    processes = [0, 1].map(() => ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url, 6, options)))))
  })
  afterAll(() => Promise.all(processes.map((p) => p.dispose())))

  const run = <A, E>(body: (ledger: Ledger["Service"]) => Effect.Effect<A, E>, process = 0) =>
    processes[process]!.runPromise(Effect.flatMap(Ledger, body))

  /**
   * `count` requests from 24 clients at once, each client sending its next request when the last
   * one is answered, so batches keep overlapping; even clients talk to one process, odd to the other.
   */
  const clients = 24
  const together = async <A, E>(count: number, body: (ledger: Ledger["Service"], i: number) => Effect.Effect<A, E>) => {
    const results: Array<Result.Result<A, E>> = []
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let i = client; i < count; i += clients)
          results[i] = await run((l) => Effect.result(body(l, i)), client % 2)
      }),
    )
    return results
  }

  const expectCleanAudit = async () => expect((await run((l) => l.audit)).violations).toEqual([])

  test("many spends on one account: exactly as many succeed as the balance allows, ending at the floor", async () => {
    const accountId = `spends-${setup}`
    await run((l) => l.topUp({ accountId, amount: 1000 }))
    const results = await together(160, (l) => l.spend({ accountId, amount: 10 }))
    expect(results.filter((r) => r._tag === "Success")).toHaveLength(100)
    expect(
      results.filter((r) => r._tag === "Failure").map((r) => (r as { failure: { _tag: string } }).failure._tag),
    ).toEqual(Array(60).fill("InsufficientCredits"))
    expect(await run((l) => l.balance(accountId))).toBe(0)
    await expectCleanAudit()
  })

  test("a process never decides on a state the other process has moved on", async () => {
    const accountId = `handover-${setup}`
    await run((l) => l.topUp({ accountId, amount: 10 }), 0)
    await run((l) => l.spend({ accountId, amount: 10 }), 0)
    await run((l) => l.topUp({ accountId, amount: 100 }), 1)
    const { entry } = await run((l) => l.spend({ accountId, amount: 50 }), 0)
    expect(entry).toMatchObject({ sequence: 4, balanceAfter: 50 })
    await run((l) => l.spend({ accountId, amount: 50 }), 1)
    expect(await run((l) => Effect.flip(l.spend({ accountId, amount: 1 })), 0)).toMatchObject({
      _tag: "InsufficientCredits",
    })
    await expectCleanAudit()
  })

  test("top-ups with a ceiling never carry the balance above it", async () => {
    const accountId = `ceiling-${setup}`
    const results = await together(120, (l) => l.topUp({ accountId, amount: 13, ceiling: 1000 }))
    const posted = results.flatMap((r) => (r._tag === "Success" ? [r.success.entry] : []))
    const refusals = results.flatMap((r) => (r._tag === "Failure" ? [r.failure._tag] : []))
    expect(refusals).toEqual(Array(120 - 77).fill("BalanceAtCeiling"))
    expect(await run((l) => l.balance(accountId))).toBe(1000)
    expect(posted).toHaveLength(77)
    expect(posted.filter((e) => e.decision === "Clamped").map((e) => e.amount)).toEqual([1000 - 76 * 13])
    expect(Math.max(...posted.map((e) => e.balanceAfter))).toBe(1000)
    await expectCleanAudit()
  })

  test("duplicates of one idempotency key apply exactly once across processes", async () => {
    const accountId = `duplicates-${setup}`
    await run((l) => l.topUp({ accountId, amount: 5 }))
    const results = await together(60, (l) => l.topUp({ accountId, amount: 25, idempotencyKey: "charge-1" }))
    const postings = results.flatMap((r) => (r._tag === "Success" ? [r.success] : []))
    expect(results.filter((r) => r._tag === "Failure")).toEqual([])
    expect(postings).toHaveLength(60)
    expect(postings.filter((p) => !p.replayed)).toHaveLength(1)
    expect(new Set(postings.map((p) => JSON.stringify(p.entry))).size).toBe(1)
    expect(await run((l) => l.balance(accountId))).toBe(30)
    await expectCleanAudit()
  })

  test("mixed operations on several accounts keep every chain exact", async () => {
    const accounts = [0, 1, 2, 3].map((n) => `mixed-${setup}-${n}`)
    await run((l) => l.updateSettings({ accountId: accounts[0]!, overdraftLimit: 200 }))
    const results = await together(240, (l, i) => {
      const accountId = accounts[i % accounts.length]!
      switch (i % 4) {
        case 0:
          return l.topUp({ accountId, amount: 50, ceiling: 400 })
        case 1:
          return l.spend({ accountId, amount: 35 })
        case 2:
          return l.spend({ accountId, amount: 60, mode: "available" })
        default:
          return l.topUp({ accountId, amount: 20, idempotencyKey: `key-${i % 12}`, kind: "grant" })
      }
    })
    expect(
      results.filter(
        (r) => r._tag === "Failure" && !["InsufficientCredits", "BalanceAtCeiling"].includes(r.failure._tag),
      ),
    ).toEqual([])
    for (const accountId of accounts) {
      const { entries } = await run((l) => l.entries({ accountId, limit: 500 }))
      expect(await run((l) => l.balance(accountId))).toBe(entries.reduce((sum, e) => sum + e.amount, 0))
      const floor = accountId === accounts[0] ? -200 : 0
      for (const entry of entries) expect(entry.balanceAfter).toBeGreaterThanOrEqual(floor)
    }
    await expectCleanAudit()
  })
})
