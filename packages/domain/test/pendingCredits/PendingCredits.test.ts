import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import {
  type AccountId,
  type AccountState,
  type Amount,
  applyTopUp,
  balancesOf,
  type Ceiling,
  type Entry,
  type IdempotencyKey,
  type IdempotencyRecord,
  newAccountState,
  type PendingCredit,
  PendingCreditSteps,
  pendingCreditProblems,
  rejectionError,
  type Step,
  type WriteResult,
} from "../../src/index.ts"
import { Arbitraries } from "../../src/testing/index.ts"

const accountId = "paula" as AccountId
const t0 = Date.UTC(2026, 0, 1)
const hourMs = 60 * 60 * 1000

/** One account as a store keeps it, with the steps run against it one after another, as under its lock. */
const account = (state: AccountState) => {
  const keys = new Map<string, IdempotencyRecord>()
  const credits = new Map<number, PendingCredit>()
  const entries: Array<Entry> = []
  let current = state
  const apply = <A>(
    step: Step<A>,
    target: { key?: string | undefined; pendingCreditId?: number | undefined; opens?: boolean },
  ): A => {
    const transition = step({
      state: current,
      prior: target.key === undefined ? undefined : keys.get(target.key),
      pendingCredit: target.pendingCreditId === undefined ? undefined : credits.get(target.pendingCreditId),
      pendingCreditsOpened: target.opens === true ? credits.size : undefined,
    })
    if (transition.state !== undefined) current = transition.state
    if (transition.record !== undefined) keys.set(transition.record.key, transition.record)
    if (transition.pendingCredit !== undefined)
      credits.set(transition.pendingCredit.pendingCreditId, transition.pendingCredit)
    if (transition.entry !== undefined) entries.push(transition.entry)
    return transition.result
  }
  return {
    apply,
    credits,
    entries,
    state: () => current,
    record: (amount: number, nowMs: number, extra: { ceiling?: number; key?: string } = {}) =>
      apply<WriteResult>(
        PendingCreditSteps.open(
          {
            accountId,
            amount: amount as Amount,
            idempotencyKey: (extra.key ?? `open-${credits.size + 1}`) as IdempotencyKey,
            ...(extra.ceiling === undefined ? {} : { ceiling: extra.ceiling as Ceiling }),
          },
          nowMs,
        ),
        { key: extra.key ?? `open-${credits.size + 1}`, opens: true },
      ),
  }
}

describe("pending credits", () => {
  test.prop([Arbitraries.accountState, Arbitraries.amount, fc.option(Arbitraries.ceiling, { nil: undefined })])(
    "a pending credit counts in neither the balance nor the available balance",
    (state, amount, ceiling) => {
      const ledger = account(state)
      const result = ledger.record(amount, t0, ceiling === undefined ? {} : { ceiling })
      expect(result).toMatchObject({ _tag: "PendingCreditChanged", entry: null, balances: balancesOf(state) })
      expect(balancesOf(ledger.state())).toEqual(balancesOf(state))
      expect(ledger.entries).toEqual([])
    },
  )

  test.prop([Arbitraries.accountState, Arbitraries.amount, fc.option(Arbitraries.ceiling, { nil: undefined })])(
    "activation is a top-up of its amount under its ceiling on the balance at activation",
    (state, amount, ceiling) => {
      const ledger = account(newAccountState)
      ledger.record(amount, t0, ceiling === undefined ? {} : { ceiling })
      // The balance moved on between the checkout and the payment's confirmation.
      const later = account(state)
      later.credits.set(1, ledger.credits.get(1)!)
      const result = later.apply(
        PendingCreditSteps.activate({ accountId, pendingCreditId: 1, metadata: { payment: "pi" } }, t0 + 1000),
        { pendingCreditId: 1 },
      )
      const decision = applyTopUp(state.balance, amount, ceiling)
      if (decision._tag === "Rejected") {
        expect(result).toEqual({ _tag: "Refused", error: rejectionError(decision), replayed: false })
        expect(later.credits.get(1)!.status).toBe("pending")
        expect(later.state()).toBe(state)
        return
      }
      expect(result).toMatchObject({
        _tag: "PendingCreditChanged",
        pendingCredit: { status: "activated", entrySequence: state.sequence + 1 },
        entry: {
          decision: decision._tag,
          requested: amount,
          amount: decision.applied,
          balanceAfter: decision.balanceAfter,
          metadata: { payment: "pi" },
        },
      })
      expect(later.state().balance).toBe(decision.balanceAfter)
    },
  )

  const action = fc.oneof(
    fc.record({
      op: fc.constant("activate" as const),
      key: fc.option(fc.constantFrom("k1", "k2"), { nil: undefined }),
    }),
    fc.record({ op: fc.constant("void" as const), key: fc.option(fc.constantFrom("v1", "v2"), { nil: undefined }) }),
    fc.record({ op: fc.constant("expire" as const) }),
  )

  test.prop([
    fc.array(fc.record({ action, afterMs: fc.integer({ min: 0, max: 2 * hourMs }) }), { maxLength: 12 }),
    Arbitraries.amount,
  ])(
    "a pending credit resolves once, whatever races it: at most one entry, and nothing changes after it resolves",
    (actions, amount) => {
      const ledger = account(newAccountState)
      ledger.record(amount, t0)
      let nowMs = t0
      let resolved: PendingCredit | undefined
      for (const { action, afterMs } of actions) {
        nowMs += afterMs
        const target = { pendingCreditId: 1, key: "key" in action ? action.key : undefined }
        const request = { accountId, pendingCreditId: 1, ...(target.key ? { idempotencyKey: target.key } : {}) }
        if (action.op === "activate") ledger.apply(PendingCreditSteps.activate(request as never, nowMs), target)
        else if (action.op === "void") ledger.apply(PendingCreditSteps.voidCredit(request as never, nowMs), target)
        else ledger.apply(PendingCreditSteps.expire(nowMs), target)
        const credit = ledger.credits.get(1)!
        if (resolved !== undefined) expect(credit).toEqual(resolved)
        else if (credit.status !== "pending") resolved = credit
        // Past the deadline nothing but an expiry resolves it.
        if (credit.status === "activated" || credit.status === "voided")
          expect(Date.parse(credit.resolvedAt!)).toBeLessThan(Date.parse(credit.expiresAt))
      }
      expect(ledger.entries.length).toBe(ledger.credits.get(1)!.status === "activated" ? 1 : 0)
      expect(ledger.state().balance).toBe(ledger.entries.reduce((sum, entry) => sum + entry.amount, 0))
      expect(pendingCreditProblems([...ledger.credits.values()], (s) => ledger.entries[s - 1])).toEqual([])
    },
  )

  test("the activation's metadata is merged over the pending credit's: its keys win", () => {
    const ledger = account(newAccountState)
    ledger.apply(
      PendingCreditSteps.open(
        {
          accountId,
          amount: 100 as Amount,
          idempotencyKey: "c" as IdempotencyKey,
          metadata: { checkout: "cs_1", plan: "pro" },
        },
        t0,
      ),
      { key: "c", opens: true },
    )
    const result = ledger.apply(
      PendingCreditSteps.activate({ accountId, pendingCreditId: 1, metadata: { plan: "team", payment: "pi_1" } }, t0),
      { pendingCreditId: 1 },
    )
    expect(result).toMatchObject({ entry: { metadata: { checkout: "cs_1", plan: "team", payment: "pi_1" } } })
  })

  test("the audit names an activated credit without its entry, and a voided one that names an entry", () => {
    const ledger = account(newAccountState)
    ledger.record(100, t0)
    ledger.record(50, t0)
    ledger.apply(PendingCreditSteps.activate({ accountId, pendingCreditId: 1 }, t0), { pendingCreditId: 1 })
    ledger.apply(PendingCreditSteps.voidCredit({ accountId, pendingCreditId: 2 }, t0), { pendingCreditId: 2 })
    const credits = [...ledger.credits.values()]
    expect(pendingCreditProblems(credits, (s) => ledger.entries[s - 1])).toEqual([])
    expect(pendingCreditProblems(credits, () => undefined)).toEqual([
      "pending credit 1 is activated without its top-up entry of at most 100",
    ])
    const voidedWithEntry = credits.map((c) => (c.pendingCreditId === 2 ? { ...c, entrySequence: 1 } : c))
    expect(pendingCreditProblems(voidedWithEntry, (s) => ledger.entries[s - 1])).toEqual([
      "pending credit 2 is voided but names entry 1",
    ])
  })
})
