import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import {
  type AccountId,
  type AccountState,
  checkMemberDebit,
  type Entry,
  type Hold,
  HoldSteps,
  type IdempotencyKey,
  type MemberLimit,
  type MemberLimits,
  MemberLimitsSteps,
  memberLimitOf,
  newAccountState,
  noMembers,
  periodStartOf,
  post,
  remainingOf,
  type Step,
  totalsOf,
  type WriteResult,
} from "../../src/index.ts"

const accountId = "acme" as AccountId
const hourMs = 3_600_000
const start = Date.UTC(2026, 0, 1)

const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h)

describe("a member limit's period (UTC calendar periods, as refills')", () => {
  test("day, ISO week from Monday, month from the 1st", () => {
    const at = utc(2026, 3, 5, 15) // a Thursday
    expect(periodStartOf({ credits: 1 as never, period: "day" }, at)).toBe(utc(2026, 3, 5))
    expect(periodStartOf({ credits: 1 as never, period: "week" }, at)).toBe(utc(2026, 3, 2))
    expect(periodStartOf({ credits: 1 as never, period: "month" }, at)).toBe(utc(2026, 3, 1))
  })

  test("a member's own limit wins over the default; without limits nothing applies", () => {
    const own: MemberLimit = { credits: 5 as never, period: "day" }
    const fallback: MemberLimit = { credits: 9 as never, period: "week" }
    const members = { limits: { default: fallback, members: { ana: own } }, sinceHoldId: 0, usage: {} }
    expect(memberLimitOf(members, "ana")).toBe(own)
    expect(memberLimitOf(members, "bo")).toBe(fallback)
    // An id that names a property of every object is a member like any other.
    expect(memberLimitOf(members, "constructor")).toBe(fallback)
    expect(memberLimitOf(noMembers, "ana")).toBeUndefined()
    expect(checkMemberDebit(accountId, noMembers, "ana", 10 ** 9, start)).toBeUndefined()
    expect(checkMemberDebit(accountId, members, undefined, 10 ** 9, start)).toBeUndefined()
  })
})

type Operation =
  | {
      readonly _tag: "Spend"
      readonly member: string | undefined
      readonly amount: number
      readonly available: boolean
    }
  | { readonly _tag: "Hold"; readonly member: string | undefined; readonly amount: number }
  | {
      readonly _tag: "Capture"
      readonly hold: number
      readonly amount: number | undefined
      readonly final: boolean
      readonly member: string | undefined
    }
  | { readonly _tag: "Release"; readonly hold: number }
  | { readonly _tag: "Wait"; readonly hours: number }

const member = fc.option(fc.constantFrom("ana", "bo", "cy"), { nil: undefined })
const amount = fc.integer({ min: 1, max: 120 })
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ _tag: fc.constant("Spend" as const), member, amount, available: fc.boolean() }),
  fc.record({ _tag: fc.constant("Hold" as const), member, amount }),
  fc.record({
    _tag: fc.constant("Capture" as const),
    hold: fc.integer({ min: 1, max: 4 }),
    amount: fc.option(amount, { nil: undefined }),
    final: fc.boolean(),
    member,
  }),
  fc.record({ _tag: fc.constant("Release" as const), hold: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ _tag: fc.constant("Wait" as const), hours: fc.integer({ min: 1, max: 80 }) }),
)
const limit = fc.record({
  credits: fc.integer({ min: 1, max: 400 }).map((n) => n as MemberLimit["credits"]),
  period: fc.constantFrom("day" as const, "week" as const, "month" as const),
})
const limits: fc.Arbitrary<MemberLimits> = fc.record({
  default: fc.option(limit, { nil: null }),
  members: fc.dictionary(fc.constantFrom("ana", "bo"), limit, { maxKeys: 2 }),
})

/** An account run through the pure steps, as a store would: its state, holds and entries. */
const ledger = () => {
  let state: AccountState = newAccountState
  const holds = new Map<number, Hold>()
  const entries: Array<Entry> = []
  let keys = 0
  const apply = (step: Step<WriteResult>, holdId?: number) => {
    const transition = step({ state, prior: undefined, hold: holdId === undefined ? undefined : holds.get(holdId) })
    if (transition.state !== undefined) state = transition.state
    if (transition.entry !== undefined) entries.push(transition.entry)
    if (transition.hold !== undefined) holds.set(transition.hold.holdId, transition.hold)
    return transition.result
  }
  const key = () => `k${keys++}` as IdempotencyKey
  return {
    state: () => state,
    holds,
    entries,
    fund: (credits: number, nowMs: number) =>
      apply(post({ _tag: "TopUp", accountId, amount: credits as never }, new Date(nowMs).toISOString())),
    setLimits: (set: MemberLimits) => {
      const transition = MemberLimitsSteps.setLimits({ accountId, ...set })({ state, prior: undefined })
      state = transition.state ?? state
    },
    run: (op: Operation, nowMs: number) => {
      const withMember =
        op._tag !== "Release" && op._tag !== "Wait" && op.member !== undefined ? { member: op.member } : {}
      switch (op._tag) {
        case "Spend":
          return apply(
            post(
              {
                _tag: "Spend",
                accountId,
                amount: op.amount as never,
                mode: op.available ? "available" : "exact",
                ...withMember,
              },
              new Date(nowMs).toISOString(),
            ),
          )
        case "Hold":
          return apply(
            HoldSteps.place({ accountId, amount: op.amount as never, idempotencyKey: key(), ...withMember }, nowMs),
          )
        case "Capture":
          return apply(
            HoldSteps.capture(
              {
                accountId,
                holdId: op.hold,
                final: op.final,
                idempotencyKey: key(),
                ...(op.amount === undefined ? {} : { amount: op.amount as never }),
                ...withMember,
              },
              nowMs,
            ),
            op.hold,
          )
        case "Release":
          return apply(HoldSteps.release({ accountId, holdId: op.hold, idempotencyKey: key() }, nowMs), op.hold)
        case "Wait":
          return undefined
      }
    },
  }
}

/**
 * What the member's captures took, since `periodStartMs`, within its own holds placed before the
 * limits: the limits never refuse it, so it may pass them.
 */
const takenWithinEarlierHolds = (
  subject: ReturnType<typeof ledger>,
  sinceHoldId: number,
  name: string,
  periodStartMs: number,
) => {
  const left = new Map<number, number>()
  let taken = 0
  for (const entry of subject.entries) {
    if (entry.kind !== "usage" || entry.holdId === null || entry.holdId > sinceHoldId) continue
    const hold = subject.holds.get(entry.holdId)!
    if (entry.member !== hold.member) continue
    const remaining = left.get(hold.holdId) ?? hold.amount
    const within = Math.min(-entry.amount, remaining)
    left.set(hold.holdId, remaining - within)
    if (entry.member === name && Date.parse(entry.createdAt) >= periodStartMs) taken += within
  }
  return taken
}

describe("a hold placed before the limits", () => {
  const placedBeforeLimits = (held: number, set: MemberLimits) => {
    const subject = ledger()
    subject.fund(5_000, start)
    subject.run({ _tag: "Hold", member: "ana", amount: held }, start)
    subject.setLimits(set)
    return subject
  }
  const capture = (amount: number) => ({ _tag: "Capture", hold: 1, amount, final: true, member: undefined }) as const
  const daily = (credits: number): MemberLimit => ({ credits: credits as MemberLimit["credits"], period: "day" })

  test("is captured within it even when its member has used its limit since", () => {
    const subject = placedBeforeLimits(150, { default: daily(200), members: {} })
    expect(subject.run({ _tag: "Spend", member: "ana", amount: 200, available: false }, start)).toMatchObject({
      _tag: "Posted",
    })
    expect(subject.run(capture(150), start)).toMatchObject({ _tag: "HoldChanged" })
    expect(subject.holds.get(1)).toMatchObject({ status: "captured", captured: 150 })
  })

  test("is checked against the limit only for what a capture takes beyond it", () => {
    const own = (credits: number) => ({ default: null, members: { ana: daily(credits) } })
    expect(placedBeforeLimits(50, own(400)).run(capture(450), start)).toMatchObject({ _tag: "HoldChanged" })
    expect(placedBeforeLimits(50, own(400)).run(capture(451), start)).toMatchObject({
      _tag: "Refused",
      error: { _tag: "MemberLimitExceeded", used: 0, requested: 401 },
    })
  })
})

describe("member limits, over any sequence of spends, holds, captures, releases and days", () => {
  test.prop([limits, fc.boolean(), fc.array(operation, { maxLength: 60 })], { numRuns: 500 })(
    "a member never passes its limit in a period: its usage entries there and its open holds stay within it",
    (set, holdBefore, operations) => {
      let nowMs = start
      const subject = ledger()
      // Credits enough that only the members' limits refuse.
      subject.fund(100_000, nowMs)
      if (holdBefore) subject.run({ _tag: "Hold", member: "ana", amount: 50 }, nowMs)
      subject.setLimits(set)
      const limitedFrom = nowMs
      for (const op of operations) {
        if (op._tag === "Wait") nowMs += op.hours * hourMs
        subject.run(op, nowMs)
        const state = subject.state()
        for (const name of ["ana", "bo", "cy"]) {
          const memberLimit = memberLimitOf(state.members, name)
          if (memberLimit === undefined) continue
          const periodStart = Math.max(periodStartOf(memberLimit, nowMs), limitedFrom)
          const spent =
            subject.entries
              .filter((e) => e.kind === "usage" && e.member === name && Date.parse(e.createdAt) >= periodStart)
              .reduce((sum, e) => sum - e.amount, 0) -
            takenWithinEarlierHolds(subject, state.members.sinceHoldId, name, periodStart)
          const held = [...subject.holds.values()]
            .filter((h) => h.member === name && h.holdId > state.members.sinceHoldId)
            .reduce((sum, h) => sum + remainingOf(h), 0)
          expect(spent + held).toBeLessThanOrEqual(memberLimit.credits)
          // What the state counts is what the entries and holds say.
          expect(state.members.usage[name]?.held ?? 0).toBe(held)
        }
      }
      // The members' totals (and the entries naming none) sum to the wallet's, kind by kind.
      const byMember = totalsOf(subject.entries, { groupBy: "member" })
      const whole = totalsOf(subject.entries, {})
      for (const { kind, entries, amount } of whole) {
        const parts = byMember.filter((t) => t.kind === kind)
        expect(parts.reduce((sum, t) => sum + t.entries, 0)).toBe(entries)
        expect(parts.reduce((sum, t) => sum + t.amount, 0n)).toBe(amount)
      }
    },
  )
})
