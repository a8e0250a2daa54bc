import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import {
  type AccountState,
  captureHold,
  floorOf,
  type Hold,
  HoldSteps,
  type IdempotencyKey,
  newAccountState,
  placeHold,
  releaseHold,
  remainingOf,
  type WriteResult,
} from "../../src/index.ts"
import { Arbitraries } from "../../src/testing/index.ts"

const big = BigInt

/** What a spend may still take: the available balance above the floor. */
const spendable = (state: AccountState) => big(state.balance) - big(state.held) + big(state.overdraftLimit)

/** What a hold may still reserve: as a spend, and no more than keeps `held` exact. */
const reservable = (state: AccountState) => {
  const room = big(Number.MAX_SAFE_INTEGER) - big(state.held)
  // biome-ignore lint/complexity/useMathMinMax: Math.min takes numbers, not the bigints that keep this exact
  return spendable(state) < room ? spendable(state) : room
}

const openHold = (amount: number, captured = 0): Hold => ({
  accountId: "a" as Hold["accountId"],
  holdId: 1,
  status: "open",
  requested: amount,
  amount,
  captured,
  excess: 0,
  reference: null,
  metadata: {},
  expiresAt: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  resolvedAt: null,
})

/** An account with one open hold in it, reserving part of what it holds. */
const withHold = Arbitraries.accountState
  .filter((state) => state.held >= 1)
  .chain((state) =>
    fc.integer({ min: 1, max: state.held }).chain((amount) =>
      fc.record({
        state: fc.constant(state),
        hold: fc.integer({ min: 0, max: amount - 1 }).map((captured) => openHold(amount, captured)),
      }),
    ),
  )

describe("placing a hold", () => {
  test.prop([Arbitraries.accountState, Arbitraries.amount, Arbitraries.spendMode])(
    "succeeds exactly when a spend would and held stays exact, and never takes the available balance below the floor",
    (state, amount, mode) => {
      const decision = placeHold(state, amount, mode)
      const fits = big(amount) <= reservable(state)
      if (!("reserved" in decision)) {
        expect(fits).toBe(false)
        const spendRefused = mode === "exact" ? spendable(state) < big(amount) : spendable(state) <= 0n
        if (spendRefused) {
          expect(decision._tag).toBe("InsufficientCredits")
          return
        }
        // The credits are there: what a spend would take is more than `held` can still count exactly.
        const spendTakes = mode === "exact" || big(amount) <= spendable(state) ? big(amount) : spendable(state)
        expect(decision._tag).toBe("HeldLimitExceeded")
        expect(big(state.held) + spendTakes).toBeGreaterThan(big(Number.MAX_SAFE_INTEGER))
        return
      }
      expect(big(decision.reserved)).toBeLessThanOrEqual(reservable(state))
      expect(decision.reserved).toBe(mode === "exact" || fits ? amount : Number(spendable(state)))
      expect(decision.clamped).toBe(decision.reserved < amount)
      expect(state.held + decision.reserved).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER)
    },
  )
})

describe("capturing a hold", () => {
  test.prop([withHold, fc.integer({ min: 1, max: 10_000 }), fc.boolean(), fc.boolean()])(
    "within the reservation always succeeds, moves exactly the amount, and frees the rest only when final",
    ({ state, hold }, asked, final, allowDebt) => {
      const remaining = remainingOf(hold)
      const amount = Math.min(asked, remaining)
      const captured = captureHold(state, hold, { amount, final, allowDebt })
      if (!("decision" in captured)) throw new Error(`refused: ${captured._tag}`)
      expect(captured.decision.applied).toBe(-amount)
      expect(captured.captured).toBe(hold.captured + amount)
      expect(captured.captured).toBeLessThanOrEqual(hold.amount)
      expect(captured.excess).toBe(0)
      expect(captured.resolves).toBe(final || amount === remaining)
      expect(captured.heldAfter).toBe(state.held - amount - (final ? remaining - amount : 0))
      // Reserved credits were already out of the available balance: a capture never lowers it.
      expect(captured.decision.balanceAfter - captured.heldAfter).toBeGreaterThanOrEqual(state.balance - state.held)
      expect(captured.overdrawn).toBe(false)
    },
  )

  test.prop([withHold, fc.integer({ min: 1, max: 100_000 }), fc.boolean()])(
    "beyond the reservation takes the excess from the available balance, or fails whole unless debt is allowed (balance and available within the smallest balance)",
    ({ state, hold }, extra, allowDebt) => {
      const remaining = remainingOf(hold)
      const amount = remaining + extra
      // A request's amount is a safe integer: validation refuses a larger one before any rule runs.
      fc.pre(amount <= Number.MAX_SAFE_INTEGER)
      const captured = captureHold(state, hold, { amount, final: false, allowDebt })
      const heldAfter = state.held - remaining
      const fits = big(state.balance) - big(amount) - big(heldAfter) >= big(floorOf(state))
      // Neither the balance nor what is available besides open holds may pass the smallest balance.
      const after = big(state.balance) - big(amount)
      const pastSmallestBalance =
        after < -big(Number.MAX_SAFE_INTEGER) || after - big(heldAfter) < -big(Number.MAX_SAFE_INTEGER)
      if (!("decision" in captured)) {
        expect(captured._tag).toBe(fits || allowDebt ? "BalanceLimitExceeded" : "InsufficientCredits")
        expect(fits || (allowDebt && !pastSmallestBalance)).toBe(false)
        return
      }
      expect(fits || allowDebt).toBe(true)
      expect(captured).toMatchObject({ captured: hold.amount, excess: extra, resolves: true, heldAfter })
      expect(captured.decision.applied).toBe(-amount)
      expect(captured.overdrawn).toBe(!fits)
    },
  )
})

describe("releasing a hold", () => {
  test.prop([withHold, fc.boolean()])(
    "frees what it still reserves, as released before its deadline and expired from it on",
    ({ state, hold }, late) => {
      const deadline = Date.parse("2026-01-02T00:00:00.000Z")
      const timed = { ...hold, expiresAt: new Date(deadline).toISOString() }
      const now = late ? deadline : deadline - 1
      const released = releaseHold(state, timed, now, new Date(now).toISOString())
      expect(released.state.held).toBe(state.held - remainingOf(hold))
      expect(released.state.balance).toBe(state.balance)
      expect(released.hold.status).toBe(late ? "expired" : "released")
    },
  )
})

type HoldOperation =
  | { readonly op: "place"; readonly amount: number; readonly mode: "exact" | "available"; readonly seconds?: number }
  | {
      readonly op: "capture"
      readonly holdId: number
      readonly amount?: number
      readonly final: boolean
      readonly allowDebt: boolean
    }
  | { readonly op: "release"; readonly holdId: number }
  | { readonly op: "expire"; readonly holdId: number }
  | { readonly op: "wait"; readonly seconds: number }

const holdOperation: fc.Arbitrary<HoldOperation> = fc.oneof(
  fc.record(
    {
      op: fc.constant("place" as const),
      amount: fc.integer({ min: 1, max: 600 }),
      mode: Arbitraries.spendMode,
      seconds: fc.integer({ min: 1, max: 100 }),
    },
    { requiredKeys: ["op", "amount", "mode"] },
  ),
  fc.record(
    {
      op: fc.constant("capture" as const),
      holdId: fc.integer({ min: 1, max: 4 }),
      amount: fc.integer({ min: 1, max: 700 }),
      final: fc.boolean(),
      allowDebt: fc.boolean(),
    },
    { requiredKeys: ["op", "holdId", "final", "allowDebt"] },
  ),
  fc.record({ op: fc.constant("release" as const), holdId: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant("expire" as const), holdId: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 60 }) }),
)

describe("any sequence of hold operations on an account", () => {
  test.prop([fc.integer({ min: 0, max: 2_000 }), fc.array(holdOperation, { maxLength: 40 })])(
    "keeps held equal to what the open holds reserve, never over-captures, and resolves each hold once",
    (funds, operations) => {
      let nowMs = Date.parse("2026-01-01T00:00:00.000Z")
      let state: AccountState = { ...newAccountState, balance: funds as AccountState["balance"], sequence: 1 }
      const holds = new Map<number, Hold>()
      const resolutions = new Map<number, number>()
      const accountId = "a" as Hold["accountId"]
      operations.forEach((operation, i) => {
        if (operation.op === "wait") {
          nowMs += operation.seconds * 1000
          return
        }
        const idempotencyKey = `k${i}` as IdempotencyKey
        const step =
          operation.op === "place"
            ? HoldSteps.place(
                {
                  accountId,
                  amount: operation.amount as never,
                  mode: operation.mode,
                  idempotencyKey,
                  ...(operation.seconds === undefined ? {} : { expiresInSeconds: operation.seconds }),
                },
                nowMs,
              )
            : operation.op === "capture"
              ? HoldSteps.capture({ accountId, ...operation, idempotencyKey } as never, nowMs)
              : operation.op === "release"
                ? HoldSteps.release({ accountId, holdId: operation.holdId, idempotencyKey }, nowMs)
                : HoldSteps.expire(nowMs)
        const before = "holdId" in operation ? holds.get(operation.holdId) : undefined
        const transition = (step as (s: never) => { result: WriteResult | boolean; state?: AccountState; hold?: Hold })(
          {
            state,
            prior: undefined,
            hold: before,
          } as never,
        )
        if (transition.state !== undefined) state = transition.state
        if (transition.hold !== undefined) {
          if (before?.status === "open" && transition.hold.status !== "open") {
            resolutions.set(transition.hold.holdId, (resolutions.get(transition.hold.holdId) ?? 0) + 1)
          }
          expect(before === undefined || before.status === "open").toBe(true)
          holds.set(transition.hold.holdId, transition.hold)
        }
      })
      const reserved = [...holds.values()].reduce((sum, hold) => sum + remainingOf(hold), 0)
      expect(state.held).toBe(reserved)
      for (const hold of holds.values()) expect(hold.captured).toBeLessThanOrEqual(hold.amount)
      for (const count of resolutions.values()) expect(count).toBe(1)
      expect(state.holdsPlaced).toBe(holds.size)
    },
  )
})
