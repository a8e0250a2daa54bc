import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import {
  type AccountState,
  type AutoTopUpSettings,
  accountId,
  type Change,
  newAccountState,
  noAutoTopUp,
  post,
  type WriteResult,
  withAutoTopUp,
} from "../../src/index.ts"
import { Arbitraries } from "../../src/testing/index.ts"

const account = accountId("acct_1")
const createdAt = "2025-03-14T12:00:00.000Z"

/** Spends of random sizes in either mode, as a run of usage makes them. */
const spends = fc.array(Arbitraries.spendOperation(), { minLength: 1, maxLength: 40 })

/** Folds spends over an account through the write path's own step, as a store would persist them. */
const spendAll = (start: AccountState, operations: ReadonlyArray<{ amount: number; mode?: "exact" | "available" }>) => {
  let state = start
  const changes: Array<{ before: AccountState; after: AccountState; events: ReadonlyArray<{ type: string }> }> = []
  for (const { amount, mode } of operations) {
    const transition = post(
      { _tag: "Spend", accountId: account, amount, mode } as never,
      createdAt,
    )({
      state,
      prior: undefined,
    })
    const result = transition.result as WriteResult
    if (result._tag === "Refused" || transition.state === undefined) continue
    changes.push({ before: state, after: transition.state, events: transition.events ?? [] })
    state = transition.state
  }
  return { state, changes }
}

describe("auto top-up in the write path", () => {
  test.prop([Arbitraries.accountState, fc.integer({ min: -5_000, max: 5_000 })])(
    "a debit on an account that never configured auto top-up hands its change on untouched",
    (state, delta) => {
      const change: Change = { state: { ...state, balance: (state.balance + delta) as never } }
      expect(withAutoTopUp(account, state, change, createdAt)).toBe(change)
    },
  )

  test.prop([Arbitraries.autoTopUpSettings(), fc.integer({ min: 0, max: 8_000 }), spends])(
    "a run of spends opens at most one request, tells balance.low exactly on each crossing, and clamps under the ceiling",
    (settings: AutoTopUpSettings, funds, operations) => {
      const start: AccountState = {
        ...newAccountState,
        balance: funds as never,
        sequence: 1,
        autoTopUp: { ...noAutoTopUp, settings },
      }
      const { state, changes } = spendAll(start, operations)
      const requested = changes.flatMap((c) => c.events).filter((e) => e.type === "auto_top_up.requested")
      expect(requested.length).toBeLessThanOrEqual(1)
      expect(state.autoTopUp.lastRequestId).toBe(requested.length)
      for (const { before, after, events } of changes) {
        const crossed = before.balance >= settings.threshold && after.balance < settings.threshold
        expect(events.filter((e) => e.type === "balance.low").length).toBe(crossed ? 1 : 0)
      }
      for (const event of requested) {
        const { request } = (event as unknown as { data: { request: { amount: number; balanceAtOpen: number } } }).data
        expect(settings.enabled).toBe(true)
        if (settings.ceiling !== null)
          expect(request.balanceAtOpen + request.amount).toBeLessThanOrEqual(settings.ceiling)
      }
    },
  )
})
