import { Ledger } from "@tally/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import * as FaultProxy from "./support/FaultProxy.ts"
import { createDatabase, pgStore } from "./support/TestDatabase.ts"

/**
 * What a write sends PostgreSQL, counted on the wire: every statement the store runs goes through a
 * proxy that records it (`FaultProxy.executed`). A write on an account this process knows is one
 * compare-and-swap statement, whatever it carries; a locked transaction begins with BEGIN.
 */
describe("statements per write", () => {
  let proxy: FaultProxy.FaultProxy
  let ledger: ManagedRuntime.ManagedRuntime<Ledger, unknown>
  /** Another process on the same database: its own pool and cache. */
  let startProcess: () => ManagedRuntime.ManagedRuntime<Ledger, unknown>
  beforeAll(async () => {
    const url = new URL(await createDatabase())
    proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port) })
    url.port = String(proxy.port)
    startProcess = () => ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url.toString(), 4))))
    ledger = startProcess()
  })
  afterAll(async () => {
    await ledger?.dispose()
    await proxy?.close()
  })

  const run = <A, E>(body: (l: Ledger["Service"]) => Effect.Effect<A, E>) =>
    ledger.runPromise(Effect.flatMap(Ledger, body))

  /** The kind of each statement the body made the store send. */
  const sent = async (body: () => Promise<unknown>) => {
    proxy.executed()
    await body()
    return proxy.executed().map((sql) => (FaultProxy.isCompareAndSwap(sql) ? "compare-and-swap" : sql.trim()))
  }

  test("a keyed top-up and a keyed spend on a known account are one statement each", async () => {
    await run((l) => l.topUp({ accountId: "known", amount: 1_000 }))
    expect(await sent(() => run((l) => l.topUp({ accountId: "known", amount: 10, idempotencyKey: "t-1" })))).toEqual([
      "compare-and-swap",
    ])
    expect(await sent(() => run((l) => l.spend({ accountId: "known", amount: 5, idempotencyKey: "s-1" })))).toEqual([
      "compare-and-swap",
    ])
  })

  test("a top-up that makes a grant and a spend that draws grants, on a known account, are one statement each", async () => {
    await run((l) => l.topUp({ accountId: "granted", amount: 100 }))
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
    for (const keyed of [false, true]) {
      const key = (name: string) => (keyed ? { idempotencyKey: `${name}-keyed` } : {})
      expect(
        await sent(() =>
          run((l) => l.topUp({ accountId: "granted", amount: 50, expiresAt, priority: 1, ...key("g") })),
        ),
      ).toEqual(["compare-and-swap"])
      expect(await sent(() => run((l) => l.spend({ accountId: "granted", amount: 30, ...key("s") })))).toEqual([
        "compare-and-swap",
      ])
    }
    // What the statements wrote: the grants' rows, the account's grants and the entries' allocations.
    const { grants } = await run((l) => l.grants({ accountId: "granted" }))
    expect(grants.map(({ grantId, status, remaining }) => ({ grantId, status, remaining }))).toEqual([
      { grantId: 4, status: "live", remaining: 40 },
      { grantId: 2, status: "spent", remaining: 0 },
    ])
    const { entries } = await run((l) => l.entries({ accountId: "granted", limit: 10 }))
    expect(entries.map((entry) => entry.allocations)).toEqual([
      // Same priority and expiry: the older grant first.
      [
        { grantId: 2, amount: -20 },
        { grantId: 4, amount: -10 },
      ],
      [{ grantId: 4, amount: 50 }],
      [{ grantId: 2, amount: -30 }],
      [{ grantId: 2, amount: 50 }],
      undefined,
    ])
    expect(await run((l) => l.balance("granted"))).toBe(140)
    expect((await run((l) => l.audit)).violations).toEqual([])
  })

  test("after a restart, a write on an account the previous process wrote is one statement", async () => {
    await run((l) => l.topUp({ accountId: "before-restart", amount: 100 }))
    const restarted = startProcess()
    try {
      // The store reads the accounts as it starts (a first page of them before it is ready).
      await restarted.runPromise(Effect.void)
      const statements = await sent(() =>
        restarted.runPromise(Effect.flatMap(Ledger, (l) => l.spend({ accountId: "before-restart", amount: 10 }))),
      )
      expect(statements).toEqual(["compare-and-swap"])
      expect(await run((l) => l.balance("before-restart"))).toBe(90)
    } finally {
      await restarted.dispose()
    }
  })

  test("a replay, a refusal's replay and a reused key with another request are one statement each, in any process", async () => {
    await run((l) => l.topUp({ accountId: "replayed", amount: 100 }))
    const first = await run((l) => l.spend({ accountId: "replayed", amount: 30, idempotencyKey: "r-1" }))
    const refusal = await run((l) =>
      Effect.flip(l.spend({ accountId: "replayed", amount: 500, idempotencyKey: "r-2" })),
    )
    expect(refusal._tag).toBe("InsufficientCredits")
    // This process, which wrote the keys, and another one that never saw the account.
    const other = startProcess()
    try {
      // Started before counting: the store reads a first page of accounts as it starts.
      await other.runPromise(Effect.void)
      for (const process of [ledger, other]) {
        /** What `body` answered in this process, and the statements it sent. */
        const answered = async <A, E>(body: (l: Ledger["Service"]) => Effect.Effect<A, E>) => {
          let answer: unknown
          const statements = await sent(async () => {
            answer = await process.runPromise(Effect.flatMap(Ledger, body))
          })
          return { answer, statements }
        }
        const replay = await answered((l) => l.spend({ accountId: "replayed", amount: 30, idempotencyKey: "r-1" }))
        expect(replay.statements).toEqual(["compare-and-swap"])
        expect(replay.answer).toEqual({ entry: first.entry, replayed: true })
        const refusedAgain = await answered((l) =>
          Effect.flip(l.spend({ accountId: "replayed", amount: 500, idempotencyKey: "r-2" })),
        )
        expect(refusedAgain.statements).toEqual(["compare-and-swap"])
        expect({ ...(refusedAgain.answer as object) }).toEqual({ ...refusal })
        const conflict = await answered((l) =>
          Effect.flip(l.spend({ accountId: "replayed", amount: 31, idempotencyKey: "r-1" })),
        )
        expect(conflict.statements).toEqual(["compare-and-swap"])
        expect(conflict.answer).toMatchObject({
          _tag: "IdempotencyConflict",
          accountId: "replayed",
          idempotencyKey: "r-1",
        })
      }
    } finally {
      await other.dispose()
    }
    expect(await run((l) => l.balance("replayed"))).toBe(70)
    const { entries } = await run((l) => l.entries({ accountId: "replayed", limit: 10 }))
    expect(entries).toHaveLength(2)
  })

  test("sixteen clients writing with keys to one account take no locked transaction", async () => {
    await run((l) => l.topUp({ accountId: "hot", amount: 1_000 }))
    // Each client pauses a little before each write, so writes arrive while batches are in flight.
    const statements = await sent(() =>
      run((l) =>
        Effect.forEach(
          Array.from({ length: 16 }, (_, client) => client),
          (client) =>
            Effect.forEach(
              Array.from({ length: 6 }, (_, i) => i),
              (i) =>
                Effect.andThen(
                  Effect.sleep(`${(client + i) % 3} millis`),
                  client % 2 === 0
                    ? l.topUp({ accountId: "hot", amount: 3, idempotencyKey: `hot-${client}-${i}` })
                    : l.spend({ accountId: "hot", amount: 2, idempotencyKey: `hot-${client}-${i}` }),
                ),
            ),
          { concurrency: "unbounded" },
        ),
      ),
    )
    // Batches on one account go one after the other, each decided on what the one before wrote.
    expect(statements.length).toBeGreaterThan(0)
    expect(statements.filter((kind) => kind !== "compare-and-swap")).toEqual([])
    expect(await run((l) => l.balance("hot"))).toBe(1_000 + 48 * 3 - 48 * 2)
  })
})
