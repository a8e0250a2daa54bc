import { fc, test } from "@fast-check/vitest"
import { Schema } from "effect"
import { describe, expect } from "vitest"
import {
  type AccountId,
  type AccountState,
  type Amount,
  CorrectionSteps,
  drawDown,
  drawOrder,
  type Entry,
  expireGrants,
  fillGrant,
  type Grant,
  Grant as GrantSchema,
  GrantSteps,
  grantedOf,
  type Hold,
  HoldSteps,
  type IdempotencyKey,
  newAccountState,
  post,
  type Step,
  warnExpiringGrants,
} from "../../src/index.ts"

const accountId = "acct" as AccountId
const startMs = Date.parse("2026-01-01T00:00:00Z")
const hour = 3_600_000

/** Operations on one account, with times as hours after the start. */
type Operation =
  | {
      readonly _tag: "Credit"
      readonly amount: number
      readonly expiresIn: number | null
      readonly priority: number | null
    }
  | { readonly _tag: "Spend"; readonly amount: number }
  | { readonly _tag: "Hold"; readonly amount: number }
  | { readonly _tag: "Capture"; readonly amount: number | null }
  | { readonly _tag: "Release" }
  | { readonly _tag: "Refund"; readonly pick: number; readonly amount: number | null }
  | { readonly _tag: "Adjust"; readonly amount: number }
  | { readonly _tag: "Expire" }
  | { readonly _tag: "Wait"; readonly hours: number }

const small = fc.integer({ min: 1, max: 400 })
const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      _tag: fc.constant("Credit" as const),
      amount: small,
      expiresIn: fc.option(fc.integer({ min: 0, max: 48 })),
      priority: fc.option(fc.integer({ min: 0, max: 9 })),
    }),
  },
  { weight: 4, arbitrary: fc.record({ _tag: fc.constant("Spend" as const), amount: small }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Hold" as const), amount: small }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Capture" as const), amount: fc.option(small) }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "Release" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ _tag: fc.constant("Refund" as const), pick: fc.nat(), amount: fc.option(small) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ _tag: fc.constant("Adjust" as const), amount: fc.integer({ min: -300, max: 300 }) }),
  },
  { weight: 3, arbitrary: fc.constant({ _tag: "Expire" as const }) },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("Wait" as const), hours: fc.integer({ min: 1, max: 24 }) }) },
)

/** One account as a store would keep it, for running the real steps in order. */
interface Account {
  state: AccountState
  entries: Array<Entry>
  holds: Map<number, Hold>
  refunded: Map<number, number>
  grants: Map<number, Grant>
  nowMs: number
  keys: number
}

const key = (account: Account) => `k${++account.keys}` as IdempotencyKey

const run = <A>(account: Account, step: Step<A>, hold?: Hold, refundOf?: number): A => {
  const refundTarget =
    refundOf === undefined
      ? undefined
      : { entry: account.entries[refundOf - 1]!, refunded: account.refunded.get(refundOf) ?? 0 }
  const transition = step({ state: account.state, prior: undefined, hold, refundTarget })
  if (transition.state !== undefined) account.state = transition.state
  if (transition.entry !== undefined) {
    account.entries.push(transition.entry)
    if (transition.entry.refundOf !== null) {
      const of = transition.entry.refundOf
      account.refunded.set(of, (account.refunded.get(of) ?? 0) - transition.entry.amount)
    }
  }
  if (transition.hold !== undefined) account.holds.set(transition.hold.holdId, transition.hold)
  for (const grant of transition.grants ?? []) account.grants.set(grant.grantId, grant)
  return transition.result
}

const openHold = (account: Account) => [...account.holds.values()].find((hold) => hold.status === "open")

const apply = (account: Account, op: Operation) => {
  const iso = new Date(account.nowMs).toISOString()
  switch (op._tag) {
    case "Credit": {
      const expiresAt = op.expiresIn === null ? undefined : new Date(account.nowMs + op.expiresIn * hour).toISOString()
      const request = {
        _tag: "TopUp" as const,
        accountId,
        amount: op.amount as Amount,
        ...(expiresAt === undefined ? {} : { expiresAt: expiresAt as never }),
        ...(op.priority === null ? {} : { priority: op.priority }),
      }
      return run(account, post(request, iso))
    }
    case "Spend":
      return run(account, post({ _tag: "Spend", accountId, amount: op.amount as Amount, mode: "available" }, iso))
    case "Hold":
      return run(
        account,
        HoldSteps.place(
          { accountId, amount: op.amount as Amount, mode: "available", idempotencyKey: key(account) },
          account.nowMs,
        ),
      )
    case "Capture": {
      const hold = openHold(account)
      if (hold === undefined) return
      const request = {
        accountId,
        holdId: hold.holdId,
        ...(op.amount === null ? {} : { amount: op.amount as Amount }),
        allowDebt: true,
        idempotencyKey: key(account),
      }
      return run(account, HoldSteps.capture(request, account.nowMs), hold)
    }
    case "Release": {
      const hold = openHold(account)
      if (hold === undefined) return
      return run(
        account,
        HoldSteps.release({ accountId, holdId: hold.holdId, idempotencyKey: key(account) }, account.nowMs),
        hold,
      )
    }
    case "Refund": {
      const credits = account.entries.filter((entry) => entry.amount > 0 && entry.kind !== "adjustment")
      if (credits.length === 0) return
      const target = credits[op.pick % credits.length]!
      const request = {
        accountId,
        sequence: target.sequence,
        ...(op.amount === null ? {} : { amount: op.amount as Amount }),
      }
      return run(account, CorrectionSteps.refund(request as never, iso), undefined, target.sequence)
    }
    case "Adjust":
      if (op.amount === 0) return
      return run(
        account,
        CorrectionSteps.adjust(
          { accountId, amount: op.amount, reason: "test", actor: "test", force: true } as never,
          iso,
        ),
      )
    case "Expire":
      return run(account, GrantSteps.expire(accountId, account.nowMs))
    case "Wait":
      account.nowMs += op.hours * hour
      return
  }
}

const sum = (values: ReadonlyArray<number>) => values.reduce((total, value) => total + value, 0)

/** What must hold after every operation; `before` is the account's state before it. */
const check = (account: Account, before: AccountState, entriesBefore: number) => {
  const { state } = account
  // Live grants: positive, in draw-down order, and within the balance.
  for (const grant of state.grants) {
    expect(grant.remaining).toBeGreaterThan(0)
    expect(grant.status).toBe("live")
  }
  expect([...state.grants].sort(drawOrder)).toEqual(state.grants)
  expect(grantedOf(state.grants)).toBeLessThanOrEqual(Math.max(state.balance, 0))
  // Each grant's remaining is what its entries' allocations leave of it, and no grant is ever below zero.
  const folded = new Map<number, number>()
  for (const entry of account.entries)
    for (const allocation of entry.allocations ?? []) {
      const after = (folded.get(allocation.grantId) ?? 0) + allocation.amount
      expect(after).toBeGreaterThanOrEqual(0)
      folded.set(allocation.grantId, after)
    }
  for (const [grantId, remaining] of folded) {
    const live = state.grants.find((grant) => grant.grantId === grantId)
    expect(live?.remaining ?? 0).toBe(remaining)
    expect(account.grants.get(grantId)?.remaining).toBe(remaining)
  }
  const entry = account.entries.length > entriesBefore ? account.entries.at(-1)! : undefined
  if (entry === undefined) return
  const allocations = entry.allocations ?? []
  for (const allocation of allocations) expect(Math.sign(allocation.amount)).toBe(Math.sign(entry.amount))
  if (entry.amount < 0 && entry.kind !== "expiry") {
    // A debit takes from grants first: all it can, up to its amount.
    expect(0 - sum(allocations.map((a) => a.amount))).toBe(Math.min(-entry.amount, grantedOf(before.grants)))
    // In draw-down order (a refund's own grant first): every grant but the last it took from is emptied.
    const expected = [...before.grants]
    const own = expected.findIndex((grant) => entry.kind === "refund" && grant.grantId === entry.refundOf)
    if (own >= 0) expected.unshift(...expected.splice(own, 1))
    allocations.forEach((allocation, index) => {
      expect(allocation.grantId).toBe(expected[index]!.grantId)
      if (index < allocations.length - 1) expect(-allocation.amount).toBe(expected[index]!.remaining)
    })
  }
  if (entry.amount > 0 && allocations.length > 0) {
    // A credit repays the debt before it fills its grant.
    expect(allocations).toEqual([
      { grantId: entry.sequence, amount: entry.amount - Math.min(entry.amount, Math.max(0, -before.balance)) },
    ])
  }
  if (entry.kind === "expiry") {
    expect(0 - sum(allocations.map((a) => a.amount))).toBe(-entry.amount)
    // Credits open holds reserve never expire under them.
    expect(state.balance - state.held).toBeGreaterThanOrEqual(Math.min(0, before.balance - before.held))
    // Once: run again at the same time, nothing is due.
    expect(GrantSteps.expire(accountId, account.nowMs)({ state, prior: undefined }).result._tag).toBe("NothingDue")
  }
}

const newAccount = (): Account => ({
  state: newAccountState,
  entries: [],
  holds: new Map(),
  refunded: new Map(),
  grants: new Map(),
  nowMs: startMs,
  keys: 0,
})

describe("grants through the ledger's steps", () => {
  test.prop([fc.array(operation, { maxLength: 60 })], { numRuns: 300 })(
    "draw-down order, no grant below zero, remainders within the balance and matching allocations, expiry once and never under a hold",
    (operations) => {
      const account = newAccount()
      for (const op of operations) {
        const before = account.state
        const count = account.entries.length
        apply(account, op)
        check(account, before, count)
      }
    },
  )

  test.prop([
    fc.array(fc.record({ amount: small, priority: fc.integer({ min: 0, max: 9 }) }), { minLength: 1, maxLength: 12 }),
  ])("the sum of the remainders equals the balance while every credit is a grant and there is no debt", (credits) => {
    const account = newAccount()
    for (const credit of credits)
      apply(account, { _tag: "Credit", amount: credit.amount, expiresIn: null, priority: credit.priority })
    apply(account, { _tag: "Spend", amount: 150 })
    expect(grantedOf(account.state.grants)).toBe(account.state.balance)
  })
})

describe("the draw-down rules", () => {
  const at = "2026-01-01T00:00:00.000Z"
  const grant = (grantId: number, remaining: number, priority: number, expiresAt: string | null): Grant => ({
    accountId,
    grantId,
    status: "live",
    amount: remaining,
    remaining,
    expired: 0,
    priority,
    expiresAt,
    createdAt: at,
    updatedAt: at,
    warnedAt: null,
  })

  test("priority first, then soonest expiry (none last), then oldest", () => {
    const live = [
      grant(4, 10, 5, null),
      grant(1, 10, 5, "2026-02-01T00:00:00.000Z"),
      grant(3, 10, 2, null),
      grant(2, 10, 5, "2026-01-15T00:00:00.000Z"),
      grant(5, 10, 5, null),
    ].sort(drawOrder)
    expect(live.map((g) => g.grantId)).toEqual([3, 2, 1, 4, 5])
    const { allocations, live: after } = drawDown(live, 25, null, at)
    expect(allocations).toEqual([
      { grantId: 3, amount: -10 },
      { grantId: 2, amount: -10 },
      { grantId: 1, amount: -5 },
    ])
    expect(after.map((g) => [g.grantId, g.remaining])).toEqual([
      [1, 5],
      [4, 10],
      [5, 10],
    ])
  })

  test("a credit in debt repays it first; one the debt takes whole is spent at once", () => {
    expect(fillGrant(accountId, [], -30, 100, { priority: 1 }, 7, at).allocations).toEqual([{ grantId: 7, amount: 70 }])
    const whole = fillGrant(accountId, [], -300, 100, { priority: 1 }, 8, at)
    expect(whole.live).toEqual([])
    expect(whole.changed.map((g) => [g.status, g.remaining])).toEqual([["spent", 0]])
  })

  test("what holds reserve stays in the grants they cover, first in draw-down order, and expires after", () => {
    const due = "2026-01-01T00:00:00.000Z"
    const live = [grant(1, 50, 1, due), grant(2, 50, 5, due)]
    const held = expireGrants(live, 70, Date.parse(due), at)
    expect(held.allocations).toEqual([{ grantId: 2, amount: -30 }])
    expect(held.live.map((g) => [g.grantId, g.remaining, g.status])).toEqual([
      [1, 50, "live"],
      [2, 20, "live"],
    ])
    const released = expireGrants(held.live, 0, Date.parse(due), at)
    expect(released.allocations).toEqual([
      { grantId: 1, amount: -50 },
      { grantId: 2, amount: -20 },
    ])
    expect(released.changed.map((g) => [g.status, g.expired])).toEqual([
      ["expired", 50],
      ["expired", 50],
    ])
  })
})

describe("warning of expiring grants", () => {
  const at = "2026-01-01T00:00:00.000Z"
  const grant = (grantId: number, expiresAt: string | null, warnedAt: string | null = null): Grant => ({
    accountId,
    grantId,
    status: "live",
    amount: 10,
    remaining: 10,
    expired: 0,
    priority: 5,
    expiresAt,
    createdAt: at,
    updatedAt: at,
    warnedAt,
  })

  test("warns of the grants expiring by the end of the lead time, never twice, and of none without an expiry", () => {
    const live = [
      grant(1, "2026-01-02T00:00:00.000Z"),
      grant(2, "2026-01-05T00:00:00.000Z"),
      grant(3, null),
      grant(4, "2026-01-02T00:00:00.000Z", at),
    ]
    const now = "2026-01-01T12:00:00.000Z"
    const { live: after, warned } = warnExpiringGrants(live, Date.parse("2026-01-03T00:00:00Z"), now)
    expect(warned.map((g) => g.grantId)).toEqual([1])
    expect(after.map((g) => [g.grantId, g.warnedAt])).toEqual([
      [1, now],
      [2, null],
      [3, null],
      [4, at],
    ])
    expect(warnExpiringGrants(after, Date.parse("2026-01-03T00:00:00Z"), now)).toEqual({ live: after, warned: [] })
  })

  test("a grant stored before warnings existed reads as not warned of", () => {
    const { warnedAt: _, ...stored } = grant(1, "2026-01-02T00:00:00.000Z")
    expect(Schema.decodeUnknownSync(GrantSchema)(stored).warnedAt).toBeNull()
  })
})
