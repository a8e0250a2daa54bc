import * as Effect from "effect/Effect"
import { describe, expect, test } from "vitest"
import type { Ledger } from "../Ledger.ts"
import { Limits } from "../Limits.ts"
import { isReplayed } from "../ReplayedRefusal.ts"
import { accountFeed } from "./AccountFeed.ts"
import type { ContractContext } from "./ContractContext.ts"

const max = Limits.balanceMax

/**
 * Exact at the edges: a refusal replayed by its key is marked (`isReplayed`) on every write, a
 * kind's total is exact past 2^53 - 1, and no write takes `held` or `available` past what Tally holds
 * exactly; each bound refuses with a typed error naming it.
 */
export const edgesContract = (context: ContractContext) =>
  describe("at the edges", () => {
    const { run, fails, newAccount } = context
    const feed = accountFeed(context)

    /** The refusal, unmarked; after `between`, the retry with its key: an equal error, marked as a replay. */
    const refusedThenReplayed = async <A, E>(
      write: (ledger: Ledger["Service"]) => Effect.Effect<A, E>,
      tag: string,
      between: (ledger: Ledger["Service"]) => Effect.Effect<unknown, unknown> = () => Effect.void,
    ) => {
      const first = await fails(write)
      expect(first).toMatchObject({ _tag: tag })
      expect(isReplayed(first)).toBe(false)
      await run((l) => Effect.ignore(between(l)))
      const again = await fails(write)
      expect(again).toEqual(first)
      expect(isReplayed(again)).toBe(true)
    }

    test("every write marks the replay of a refusal, and only the replay", async () => {
      const accountId = newAccount()
      await refusedThenReplayed(
        (l) => l.hold({ accountId, amount: 100, idempotencyKey: "h1" }),
        "InsufficientCredits",
        (l) => l.topUp({ accountId, amount: 500 }),
      )
      await refusedThenReplayed(
        (l) => l.spend({ accountId, amount: 1_000, idempotencyKey: "s1" }),
        "InsufficientCredits",
      )
      await refusedThenReplayed(
        (l) => l.topUp({ accountId, amount: 10, ceiling: 100, idempotencyKey: "t1" }),
        "BalanceAtCeiling",
      )
      await refusedThenReplayed(
        (l) => l.capture({ accountId, holdId: 9, amount: 1, idempotencyKey: "c1" }),
        "HoldNotFound",
        (l) => l.hold({ accountId, amount: 10, idempotencyKey: "h2" }),
      )
      await refusedThenReplayed((l) => l.release({ accountId, holdId: 9, idempotencyKey: "r1" }), "HoldNotFound")
      await refusedThenReplayed((l) => l.refund({ accountId, sequence: 99, idempotencyKey: "f1" }), "EntryNotFound")
      await refusedThenReplayed(
        (l) => l.adjust({ accountId, amount: -10_000, reason: "r", actor: "a", idempotencyKey: "a1" }),
        "InsufficientCredits",
      )
      await refusedThenReplayed(
        (l) => l.completeAutoTopUp({ accountId, requestId: 7, paymentReference: "pi_1" }),
        "AutoTopUpRequestNotFound",
      )
      await refusedThenReplayed(
        (l) => l.failAutoTopUp({ accountId, requestId: 7, reason: "card_declined", idempotencyKey: "x1" }),
        "AutoTopUpRequestNotFound",
      )
      // A conflict is not a replay: it answers a different request.
      const conflict = await fails((l) => l.hold({ accountId, amount: 101, idempotencyKey: "h1" }))
      expect(conflict).toMatchObject({ _tag: "IdempotencyConflict" })
      expect(isReplayed(conflict)).toBe(false)
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 500,
        held: 10,
        available: 490,
        expiresNext: null,
      })
    })

    test("of concurrent duplicates of a refused write, all but one are marked as replays", async () => {
      const accountId = newAccount()
      const duplicates = <A, E>(write: (ledger: Ledger["Service"]) => Effect.Effect<A, E>) =>
        run((l) =>
          Effect.all(
            Array.from({ length: 12 }, () => Effect.flip(write(l))),
            { concurrency: "unbounded" },
          ),
        )
      for (const errors of [
        await duplicates((l) => l.hold({ accountId, amount: 100, idempotencyKey: "h" })),
        await duplicates((l) => l.capture({ accountId, holdId: 3, idempotencyKey: "c" })),
        await duplicates((l) => l.refund({ accountId, sequence: 5, idempotencyKey: "f" })),
        await duplicates((l) => l.adjust({ accountId, amount: -5, reason: "r", actor: "a", idempotencyKey: "a" })),
        await duplicates((l) => l.completeAutoTopUp({ accountId, requestId: 2, paymentReference: "pi" })),
      ]) {
        expect(new Set(errors.map((error) => error._tag)).size).toBe(1)
        expect(errors.filter((error) => !isReplayed(error))).toHaveLength(1)
      }
    })

    test("a kind's total is exact past 2^53 - 1", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: max }))
      await run((l) => l.spend({ accountId, amount: max }))
      await run((l) => l.topUp({ accountId, amount: 1 }))
      expect(await run((l) => l.totals({ accountId }))).toEqual([
        { kind: "top-up", entries: 2, amount: BigInt(max) + 1n },
        { kind: "usage", entries: 1, amount: -BigInt(max) },
      ])
    })

    test("a forced removal may not take the available balance past -(2^53 - 1); nothing is written", async () => {
      const accountId = newAccount()
      await run((l) => l.updateSettings({ accountId, overdraftLimit: max }))
      await run((l) => l.hold({ accountId, amount: max, idempotencyKey: "h" }))
      const error = await fails((l) => l.adjust({ accountId, amount: -10, reason: "r", actor: "a", force: true }))
      expect(error).toMatchObject({
        _tag: "BalanceLimitExceeded",
        balance: 0,
        amount: 10,
        balanceMax: -max,
        heldAfter: max,
      })
      expect(error.message).toContain("available balance")
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 0,
        held: max,
        available: -max,
        expiresNext: null,
      })
      expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(0)
      // A capture inside the hold leaves `available` where it is: it goes through.
      const captured = await run((l) =>
        l.capture({ accountId, holdId: 1, amount: 1, final: false, idempotencyKey: "c" }),
      )
      expect(captured.balances).toEqual({ balance: -1, held: max - 1, available: -max })
      // A refund allowed past the floor meets the same bound: the top-up it refunds was spent.
      await run((l) => l.topUp({ accountId, amount: 5 }))
      await run((l) => l.spend({ accountId, amount: 5 }))
      expect(await fails((l) => l.refund({ accountId, sequence: 2, amount: 5 }))).toMatchObject({
        _tag: "BalanceLimitExceeded",
        heldAfter: max - 1,
      })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: -1,
        held: max - 1,
        available: -max,
        expiresNext: null,
      })
    })

    test("a hold past the bound on held is HeldLimitExceeded, though a spend of the same amount succeeds", async () => {
      const accountId = newAccount()
      await run((l) => l.updateSettings({ accountId, overdraftLimit: max }))
      await run((l) => l.topUp({ accountId, amount: max }))
      await run((l) => l.hold({ accountId, amount: max, idempotencyKey: "h1" }))
      const error = await fails((l) => l.hold({ accountId, amount: 5, idempotencyKey: "h2" }))
      expect(error).toMatchObject({ _tag: "HeldLimitExceeded", held: max, amount: 5, heldMax: max })
      await run((l) => l.spend({ accountId, amount: 5 }))
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: max - 5,
        held: max,
        available: -5,
        expiresNext: null,
      })
    })

    test("a capture refused beyond its hold reports what the account holds", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 100 }))
      await run((l) => l.hold({ accountId, amount: 80, idempotencyKey: "h" }))
      const error = await fails((l) => l.capture({ accountId, holdId: 1, amount: 200, idempotencyKey: "c" }))
      expect(error).toMatchObject({ _tag: "InsufficientCredits", balance: 100, amount: 200, floor: 0, held: 80 })
    })

    test("only writes that lower the available balance emit balance.low or open an auto top-up request", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 1_000 }))
      await run((l) => l.configureAutoTopUp({ accountId, threshold: 100, amount: 500 }))
      const start = await feed.end()
      await run((l) => l.hold({ accountId, amount: 950, idempotencyKey: "h" }))
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: 1 })
      await run((l) => l.failAutoTopUp({ accountId, requestId: 1, reason: "card_declined" }))
      // Inside its hold a capture leaves `available` (50, below the threshold) where it was: no request.
      const captured = await run((l) =>
        l.capture({ accountId, holdId: 1, amount: 100, final: false, idempotencyKey: "c" }),
      )
      expect(captured.balances).toEqual({ balance: 900, held: 850, available: 50 })
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: null })
      // An operator's correction never charges the card either.
      await run((l) => l.adjust({ accountId, amount: -10, reason: "r", actor: "a" }))
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: null })
      // The next spend does; it crosses nothing (already below), so no second balance.low.
      await run((l) => l.spend({ accountId, amount: 1 }))
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: 2 })
      const events = await feed.eventsOf(accountId, start, 4)
      expect(events.map((event) => event.type)).toEqual([
        "balance.low",
        "auto_top_up.requested",
        "auto_top_up.failed",
        "auto_top_up.requested",
      ])
    })
  })
