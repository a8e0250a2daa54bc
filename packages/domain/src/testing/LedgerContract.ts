import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { Ledger } from "../Ledger.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { Limits } from "../Limits.ts"
import { autoTopUpContract } from "./AutoTopUpContract.ts"
import * as ContractClock from "./ContractClock.ts"
import type { ContractContext } from "./ContractContext.ts"
import { correctionsContract } from "./CorrectionsContract.ts"
import { edgesContract } from "./EdgesContract.ts"
import { grantsContract } from "./GrantsContract.ts"
import { historyContract } from "./HistoryContract.ts"
import { holdsContract } from "./HoldsContract.ts"
import { readPages } from "./Pages.ts"
import { pendingCreditsContract } from "./PendingCreditsContract.ts"
import { refillsContract } from "./RefillsContract.ts"
import { runsContract } from "./RunsContract.ts"
import { transitionContract } from "./TransitionContract.ts"
import { walletsContract } from "./WalletsContract.ts"

/** `{ a: { a: ... } }`, `depth` objects deep. */
const nested = (depth: number): Record<string, unknown> => {
  let value: Record<string, unknown> = {}
  for (let level = 1; level < depth; level++) value = { a: value }
  return value
}

const manyKeys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i]))

/**
 * The behaviour every storage adapter must show, as a vitest suite. Run it against your own
 * adapter with `ledgerContract("my store", MyStore.layer)`. Each test uses fresh account ids, so
 * the store may be shared across tests and hold other data. Time comes from a clock the suite moves
 * forward (holds' deadlines, history's time ranges), never from waiting.
 */
export const ledgerContract = (name: string, store: Layer.Layer<LedgerStore, unknown>) =>
  describe(`the ledger on ${name}`, () => {
    let runtime: ManagedRuntime.ManagedRuntime<Ledger, unknown>
    beforeAll(() => {
      runtime = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(store)))
    })
    afterAll(() => runtime.dispose())

    const clock = ContractClock.make()
    const run = <A, E>(body: (ledger: Ledger["Service"]) => Effect.Effect<A, E>) =>
      runtime.runPromise(Effect.flatMap(Ledger, body).pipe(Effect.provideService(Clock.Clock, clock.clock)))
    const fails = <A, E>(body: (ledger: Ledger["Service"]) => Effect.Effect<A, E>) =>
      run((ledger) => Effect.flip(body(ledger)))
    let accounts = 0
    const newAccount = () => `${name.replace(/[^A-Za-z0-9]/g, "")}-${Date.now().toString(36)}-${accounts++}`

    describe("ceilings (the origin's scenarios)", () => {
      test("rejects when above threshold", async () => {
        const accountId = newAccount()
        await run((l) => l.topUp({ accountId, amount: 1000 }))
        const error = await fails((l) => l.topUp({ accountId, amount: 200, ceiling: 800 }))
        expect(error).toMatchObject({ _tag: "BalanceAtCeiling", balance: 1000, ceiling: 800, amount: 200 })
        expect(error.message).toContain("You already have enough balance")
        expect(await run((l) => l.balance(accountId))).toBe(1000)
        expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(1)
      })

      test("clamps when it would exceed", async () => {
        const accountId = newAccount()
        await run((l) => l.topUp({ accountId, amount: 500 }))
        const { entry } = await run((l) => l.topUp({ accountId, amount: 800, ceiling: 1000 }))
        expect(entry).toMatchObject({ decision: "Clamped", requested: 800, amount: 500, balanceAfter: 1000 })
        expect(await run((l) => l.balance(accountId))).toBe(1000)
        const { entries } = await run((l) => l.entries({ accountId, kind: "top-up" }))
        expect(entries).toHaveLength(2)
        expect(entries[0]).toMatchObject({ sequence: 2, balanceAfter: 1000 })
      })

      test("allows when under threshold", async () => {
        const accountId = newAccount()
        await run((l) => l.topUp({ accountId, amount: 300 }))
        const { entry } = await run((l) => l.topUp({ accountId, amount: 200, ceiling: 1000 }))
        expect(entry).toMatchObject({ decision: "Applied", amount: 200, balanceAfter: 500 })
        expect(await run((l) => l.balance(accountId))).toBe(500)
      })
    })

    describe("accounts", () => {
      test("an account never used has balance 0, no entries and no overdraft", async () => {
        const accountId = newAccount()
        expect(await run((l) => l.balance(accountId))).toBe(0)
        expect(await run((l) => l.entries({ accountId }))).toEqual({ entries: [], nextCursor: null })
        expect(await run((l) => l.settings(accountId))).toEqual({ overdraftLimit: 0 })
      })

      test("entries record kind, requested and applied amounts, running balance and metadata", async () => {
        const accountId = newAccount()
        await run((l) => l.topUp({ accountId, amount: 100, kind: "grant", metadata: { campaign: "welcome" } }))
        await run((l) => l.spend({ accountId, amount: 30, metadata: { model: "m1", tokens: [1, 2] } }))
        const { entries } = await run((l) => l.entries({ accountId }))
        expect(entries).toMatchObject([
          {
            accountId,
            sequence: 2,
            kind: "usage",
            requested: -30,
            amount: -30,
            balanceAfter: 70,
            metadata: { model: "m1", tokens: [1, 2] },
          },
          {
            accountId,
            sequence: 1,
            kind: "grant",
            requested: 100,
            amount: 100,
            balanceAfter: 100,
            metadata: { campaign: "welcome" },
          },
        ])
        expect(Date.parse(entries[0]!.createdAt)).not.toBeNaN()
      })

      test("a spend past the balance fails with insufficient credits and writes nothing", async () => {
        const accountId = newAccount()
        await run((l) => l.topUp({ accountId, amount: 100 }))
        const error = await fails((l) => l.spend({ accountId, amount: 101 }))
        expect(error).toMatchObject({ _tag: "InsufficientCredits", balance: 100, amount: 101, floor: 0 })
        expect(await run((l) => l.balance(accountId))).toBe(100)
        expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(1)
      })

      test("a spend that takes what is available is clamped to the floor", async () => {
        const accountId = newAccount()
        await run((l) => l.topUp({ accountId, amount: 100 }))
        const { entry } = await run((l) => l.spend({ accountId, amount: 250, mode: "available" }))
        expect(entry).toMatchObject({ decision: "Clamped", requested: -250, amount: -100, balanceAfter: 0 })
      })

      test("an overdraft limit lets spends go below zero, down to the limit", async () => {
        const accountId = newAccount()
        expect(await run((l) => l.updateSettings({ accountId, overdraftLimit: 50 }))).toEqual({ overdraftLimit: 50 })
        expect(await run((l) => l.settings(accountId))).toEqual({ overdraftLimit: 50 })
        await run((l) => l.spend({ accountId, amount: 50 }))
        expect(await run((l) => l.balance(accountId))).toBe(-50)
        expect(await fails((l) => l.spend({ accountId, amount: 1 }))).toMatchObject({
          _tag: "InsufficientCredits",
          floor: -50,
        })
      })

      test("an overdraft limit below the current debt is refused", async () => {
        const accountId = newAccount()
        await run((l) => l.updateSettings({ accountId, overdraftLimit: 50 }))
        await run((l) => l.spend({ accountId, amount: 40 }))
        const error = await fails((l) => l.updateSettings({ accountId, overdraftLimit: 39 }))
        expect(error).toMatchObject({ _tag: "OverdraftLimitBelowDebt", balance: -40, overdraftLimit: 39 })
        expect(await run((l) => l.settings(accountId))).toEqual({ overdraftLimit: 50 })
      })

      test("a top-up past the largest balance is rejected, not clamped", async () => {
        const accountId = newAccount()
        await run((l) => l.topUp({ accountId, amount: Limits.balanceMax }))
        const error = await fails((l) => l.topUp({ accountId, amount: 1 }))
        expect(error).toMatchObject({ _tag: "BalanceLimitExceeded", balance: Limits.balanceMax })
        expect(await run((l) => l.balance(accountId))).toBe(Limits.balanceMax)
      })
    })

    describe("bad input", () => {
      const invalid: Array<[string, Record<string, unknown>]> = [
        ["a zero amount", { amount: 0 }],
        ["a negative amount", { amount: -5 }],
        ["a fractional amount", { amount: 1.5 }],
        ["an amount beyond the safe range", { amount: 2 ** 53 }],
        ["a negative ceiling", { amount: 5, ceiling: -1 }],
        ["an unknown kind", { amount: 5, kind: "gift" }],
        ["a malformed idempotency key", { amount: 5, idempotencyKey: "has space" }],
        ["oversized metadata", { amount: 5, metadata: { blob: "x".repeat(Limits.metadataBytesMax) } }],
        ["metadata with a NUL character", { amount: 5, metadata: { note: "a\u0000b" } }],
        ["a metadata key with a NUL character", { amount: 5, metadata: { "a\u0000": 1 } }],
        ["metadata with an unpaired surrogate", { amount: 5, metadata: { note: ["ok", "\ud800"] } }],
        ["metadata nested past the limit", { amount: 5, metadata: nested(Limits.metadataDepthMax + 1) }],
        ["metadata nested 10,000 levels deep", { amount: 5, metadata: nested(10_000) }],
        ["metadata with more keys than the limit", { amount: 5, metadata: manyKeys(Limits.metadataKeysMax + 1) }],
        ["metadata holding a number JSON cannot carry", { amount: 5, metadata: { x: Number.POSITIVE_INFINITY } }],
        ["metadata that is not an object", { amount: 5, metadata: ["a"] }],
      ]
      test.each(invalid)("%s fails validation and writes nothing", async (_, fields) => {
        const accountId = newAccount()
        const error = await fails((l) => l.topUp({ accountId, ...fields } as never))
        expect(error._tag).toBe("InvalidRequest")
        expect(await run((l) => l.entries({ accountId }))).toEqual({ entries: [], nextCursor: null })
      })

      test("metadata at its limits is stored and read back as written", async () => {
        const accountId = newAccount()
        const metadata = { ...(nested(Limits.metadataDepthMax) as object), text: "é 😀 \u2028", n: -0.5 }
        const { entry } = await run((l) => l.topUp({ accountId, amount: 1, metadata }))
        expect(entry.metadata).toEqual(metadata)
        expect((await run((l) => l.entries({ accountId }))).entries[0]!.metadata).toEqual(metadata)
      })

      test("a malformed account id fails validation", async () => {
        expect(await fails((l) => l.topUp({ accountId: "no spaces allowed", amount: 1 }))).toMatchObject({
          _tag: "InvalidRequest",
        })
        expect(await fails((l) => l.balance(""))).toMatchObject({ _tag: "InvalidRequest" })
      })

      test("a cursor Tally did not issue is refused", async () => {
        const error = await fails((l) => l.entries({ accountId: newAccount(), cursor: "not-a-cursor" }))
        expect(error._tag).toBe("InvalidRequest")
      })

      test("an event id past the feed's end is refused (the store's events answers undefined for it)", async () => {
        await run((l) => l.topUp({ accountId: newAccount(), amount: 1 }))
        const { next } = await run((l) => l.events({ limit: 1 }))
        expect(await fails((l) => l.events({ after: next + 1_000_000_000 }))).toMatchObject({ _tag: "InvalidRequest" })
      })
    })

    describe("idempotency", () => {
      test("a retry with the same key returns the first entry and changes nothing", async () => {
        const accountId = newAccount()
        const first = await run((l) => l.topUp({ accountId, amount: 100, idempotencyKey: "k1", metadata: { a: 1 } }))
        const retry = await run((l) => l.topUp({ accountId, amount: 100, idempotencyKey: "k1", metadata: { a: 1 } }))
        expect(first.replayed).toBe(false)
        expect(retry).toEqual({ entry: first.entry, replayed: true })
        expect(await run((l) => l.balance(accountId))).toBe(100)
        expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(1)
      })

      test("a retry of a rejected request returns the same rejection, even once it would pass", async () => {
        const accountId = newAccount()
        const first = await fails((l) => l.spend({ accountId, amount: 10, idempotencyKey: "s1" }))
        await run((l) => l.topUp({ accountId, amount: 100 }))
        const retry = await fails((l) => l.spend({ accountId, amount: 10, idempotencyKey: "s1" }))
        expect(retry).toEqual(first)
        expect(await run((l) => l.balance(accountId))).toBe(100)
      })

      test("a retry that spells out a default is the same request", async () => {
        const accountId = newAccount()
        const first = await fails((l) => l.spend({ accountId, amount: 1, idempotencyKey: "d" }))
        await run((l) => l.topUp({ accountId, amount: 5 }))
        const retry = await fails((l) =>
          l.spend({ accountId, amount: 1, mode: "exact", metadata: {}, idempotencyKey: "d" }),
        )
        expect(retry).toEqual(first)
      })

      test("the same key with a different request is a conflict", async () => {
        const accountId = newAccount()
        await run((l) => l.topUp({ accountId, amount: 100, idempotencyKey: "k" }))
        const error = await fails((l) => l.topUp({ accountId, amount: 101, idempotencyKey: "k" }))
        expect(error).toMatchObject({ _tag: "IdempotencyConflict", accountId, idempotencyKey: "k" })
        expect(await fails((l) => l.spend({ accountId, amount: 100, idempotencyKey: "k" }))).toMatchObject({
          _tag: "IdempotencyConflict",
        })
        expect(await run((l) => l.balance(accountId))).toBe(100)
      })

      test("keys are unique per account, not across accounts", async () => {
        const [a, b] = [newAccount(), newAccount()]
        await run((l) => l.topUp({ accountId: a, amount: 7, idempotencyKey: "shared" }))
        const { replayed } = await run((l) => l.topUp({ accountId: b, amount: 7, idempotencyKey: "shared" }))
        expect(replayed).toBe(false)
        expect(await run((l) => l.balance(b))).toBe(7)
      })

      test("concurrent duplicates of one key apply exactly once", async () => {
        const accountId = newAccount()
        const results = await run((l) =>
          Effect.all(
            Array.from({ length: 20 }, () => l.topUp({ accountId, amount: 5, idempotencyKey: "once" })),
            { concurrency: "unbounded" },
          ),
        )
        expect(results.filter((r) => !r.replayed)).toHaveLength(1)
        expect(new Set(results.map((r) => r.entry.sequence))).toEqual(new Set([1]))
        expect(await run((l) => l.balance(accountId))).toBe(5)
      })
    })

    describe("history", () => {
      test("pages newest first by cursor, neither skipping nor repeating while writes happen", async () => {
        const accountId = newAccount()
        for (let i = 1; i <= 7; i++) await run((l) => l.topUp({ accountId, amount: i }))
        const pages = await readPages("entries", 4, async (cursor) => {
          const page = await run((l) => l.entries({ accountId, limit: 3, ...(cursor === undefined ? {} : { cursor }) }))
          await run((l) => l.topUp({ accountId, amount: 1 }))
          return page
        })
        expect(pages.flatMap((page) => page.entries.map((e) => e.sequence))).toEqual([7, 6, 5, 4, 3, 2, 1])
      })

      test("filters by kind", async () => {
        const accountId = newAccount()
        await run((l) => l.topUp({ accountId, amount: 10 }))
        await run((l) => l.spend({ accountId, amount: 1 }))
        await run((l) => l.spend({ accountId, amount: 2 }))
        await run((l) => l.topUp({ accountId, amount: 10, kind: "reversal" }))
        const first = await run((l) => l.entries({ accountId, kind: "usage", limit: 1 }))
        expect(first.entries.map((e) => e.amount)).toEqual([-2])
        const rest = await run((l) => l.entries({ accountId, kind: "usage", cursor: first.nextCursor! }))
        expect(rest).toEqual({ entries: [expect.objectContaining({ amount: -1, kind: "usage" })], nextCursor: null })
        const reversals = await run((l) => l.entries({ accountId, kind: "reversal" }))
        expect(reversals.entries.map((e) => e.sequence)).toEqual([4])
      })
    })

    describe("concurrency", () => {
      test("concurrent spends on one account: exactly as many succeed as the balance allows", async () => {
        const accountId = newAccount()
        await run((l) => l.topUp({ accountId, amount: 100 }))
        const results = await run((l) =>
          Effect.all(
            Array.from({ length: 50 }, () => Effect.result(l.spend({ accountId, amount: 7 }))),
            { concurrency: "unbounded" },
          ),
        )
        expect(results.filter((r) => r._tag === "Success")).toHaveLength(14)
        expect(await run((l) => l.balance(accountId))).toBe(2)
      })

      test("the audit finds every chain exact after mixed concurrent operations", async () => {
        const ids = [newAccount(), newAccount(), newAccount()]
        await run((l) =>
          Effect.all(
            Array.from({ length: 90 }, (_, i) => {
              const accountId = ids[i % 3]!
              return Effect.result(
                i % 2 === 0
                  ? l.topUp({ accountId, amount: 40, ceiling: 150 })
                  : l.spend({ accountId, amount: 30, mode: "available" }),
              )
            }),
            { concurrency: "unbounded" },
          ),
        )
        const report = await run((l) => l.audit)
        expect(report.violations).toEqual([])
        expect(report.accountsChecked).toBeGreaterThanOrEqual(3)
        for (const accountId of ids) {
          const { entries } = await run((l) => l.entries({ accountId, limit: Limits.entriesPageSizeMax }))
          const sum = entries.reduce((total, e) => total + e.amount, 0)
          expect(await run((l) => l.balance(accountId))).toBe(sum)
        }
      })
    })

    const context: ContractContext = { run, fails, newAccount, clock }
    holdsContract(context)
    correctionsContract(context)
    historyContract(context)
    runsContract(context)
    autoTopUpContract(context)
    refillsContract(context)
    edgesContract(context)
    transitionContract(context, store)
    grantsContract(context)
    pendingCreditsContract(context)
    walletsContract(context)
  })
