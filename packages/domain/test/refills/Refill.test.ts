import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import {
  type AccountId,
  amount,
  applyTopUp,
  type Balance,
  balance,
  decideRefill,
  noRefill,
  periodContaining,
  type RefillSettings,
  type RefillState,
  refillStatus,
  reschedule,
} from "../../src/index.ts"
import { Arbitraries } from "../../src/testing/index.ts"

const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h)
const monthlyUpTo1000: RefillSettings = {
  enabled: true,
  amount: amount(1000),
  ceiling: 1000 as never,
  schedule: { period: "monthly", dayOfMonth: 1 },
}

describe("a monthly refill up to 1000 (the origin's monthly refill)", () => {
  test("tops a balance of 300 up to 1000, once in the month", () => {
    const first = decideRefill({ ...noRefill, settings: monthlyUpTo1000 }, balance(300), utc(2025, 3, 5))
    expect(first).toMatchObject({
      _tag: "Due",
      period: { startMs: utc(2025, 3, 1), endMs: utc(2025, 4, 1) },
      decision: { _tag: "Clamped", applied: 700, balanceAfter: 1000 },
      state: { lastPeriodStartMs: utc(2025, 3, 1) },
    })
    if (first._tag !== "Due") return
    expect(decideRefill(first.state, balance(10), utc(2025, 3, 31, 23))).toEqual({
      _tag: "NotDue",
      reason: "AlreadyRefilled",
    })
  })

  test("a balance at the ceiling settles the month with nothing credited", () => {
    const due = decideRefill({ ...noRefill, settings: monthlyUpTo1000 }, balance(1000), utc(2025, 3, 5))
    expect(due).toMatchObject({ _tag: "Due", decision: { _tag: "Rejected", reason: "AtCeiling" } })
    if (due._tag === "Due") expect(decideRefill(due.state, balance(0), utc(2025, 3, 6))._tag).toBe("NotDue")
  })

  test("after three months down, the refill comes once, for the current month", () => {
    const state: RefillState = { settings: monthlyUpTo1000, lastPeriodStartMs: utc(2025, 1, 1) }
    const late = decideRefill(state, balance(0), utc(2025, 4, 20))
    expect(late).toMatchObject({ _tag: "Due", period: { startMs: utc(2025, 4, 1) }, decision: { applied: 1000 } })
    if (late._tag === "Due") expect(decideRefill(late.state, balance(0), utc(2025, 4, 21))._tag).toBe("NotDue")
  })

  test("disabled or unconfigured refills are never due", () => {
    expect(decideRefill(noRefill, balance(0), 0)).toEqual({ _tag: "NotDue", reason: "NotConfigured" })
    expect(decideRefill({ ...noRefill, settings: { ...monthlyUpTo1000, enabled: false } }, balance(0), 0)).toEqual({
      _tag: "NotDue",
      reason: "Disabled",
    })
  })
})

const settings: fc.Arbitrary<RefillSettings> = fc.record({
  enabled: fc.constant(true),
  amount: Arbitraries.amount,
  ceiling: fc.option(Arbitraries.ceiling, { nil: null }),
  schedule: Arbitraries.refillSchedule,
})

describe("refill properties", () => {
  test.prop([settings, fc.array(Arbitraries.moment, { minLength: 1, maxLength: 40 }), Arbitraries.balance()])(
    "runs at any moments refill once per period they fall in, however many periods were missed between them",
    (settings, moments, b) => {
      const sorted = [...moments].sort((x, y) => x - y)
      let state: RefillState = { ...noRefill, settings }
      const refilled: Array<number> = []
      for (const at of sorted) {
        const decision = decideRefill(state, b, at)
        if (decision._tag === "Due") {
          refilled.push(decision.period.startMs)
          state = decision.state
        }
      }
      const periods = new Set(sorted.map((at) => periodContaining(settings.schedule, at).startMs))
      expect(refilled).toEqual([...periods])
    },
  )

  test.prop([settings, Arbitraries.moment, Arbitraries.balance()])(
    "the grant is the top-up rule with the refill's ceiling",
    (settings, at, b: Balance) => {
      const decision = decideRefill({ ...noRefill, settings }, b, at)
      expect(decision).toMatchObject({
        _tag: "Due",
        decision: applyTopUp(b, settings.amount, settings.ceiling ?? undefined),
      })
    },
  )
})

const settingsOn = (schedule: RefillSettings["schedule"]): RefillSettings => ({ ...monthlyUpTo1000, schedule })
const dayMs = 24 * 60 * 60 * 1000
/** Far enough apart for any schedule's period: a month is at most 31 days. */
const longestPeriodMs = 31 * dayMs

describe("changing a refill's schedule", () => {
  test("monthly to daily on the same day grants nothing more that month, and daily from the next month", () => {
    const granted = decideRefill({ ...noRefill, settings: monthlyUpTo1000 }, balance(0), utc(2025, 3, 5))
    if (granted._tag !== "Due") throw new Error("the first refill is due")
    const daily = { ...reschedule(granted.state, { period: "daily" }), settings: settingsOn({ period: "daily" }) }

    expect(decideRefill(daily, balance(0), utc(2025, 3, 5, 12))._tag).toBe("NotDue")
    expect(decideRefill(daily, balance(0), utc(2025, 3, 31, 23))._tag).toBe("NotDue")
    expect(decideRefill(daily, balance(0), utc(2025, 4, 1))).toMatchObject({
      _tag: "Due",
      period: { startMs: utc(2025, 4, 1) },
    })
    expect(refillStatus("alice" as AccountId, daily, utc(2025, 3, 5, 12)).nextRefillAt).toBe(
      new Date(utc(2025, 4, 1)).toISOString(),
    )
  })

  test.prop([Arbitraries.refillSchedule, Arbitraries.refillSchedule, Arbitraries.moment, fc.nat(), fc.nat()])(
    "a grant's period is never granted again under the new schedule, and the new one grants from its end on",
    (before, after, grantedAtMs, changeDelayMs, laterMs) => {
      const granted = decideRefill({ ...noRefill, settings: settingsOn(before) }, balance(0), grantedAtMs)
      if (granted._tag !== "Due") throw new Error("the first refill is due")
      const coveredUntilMs = granted.period.endMs
      const changedAtMs = Math.min(grantedAtMs + (changeDelayMs % longestPeriodMs), coveredUntilMs - 1)
      const changed: RefillState = { ...reschedule(granted.state, after), settings: settingsOn(after) }

      // Nothing between the change and the end of what the grant covers.
      const atMs = changedAtMs + (laterMs % Math.max(1, coveredUntilMs - changedAtMs))
      expect(decideRefill(changed, balance(0), atMs)._tag).toBe("NotDue")
      // The first period of the new schedule that starts at or after that end is due, from its start.
      const straddling = periodContaining(after, coveredUntilMs)
      const firstMs = straddling.startMs === coveredUntilMs ? straddling.startMs : straddling.endMs
      expect(decideRefill(changed, balance(0), firstMs)).toMatchObject({ _tag: "Due", period: { startMs: firstMs } })
      expect(decideRefill(changed, balance(0), firstMs - 1)._tag).toBe("NotDue")
      // And the status says so, right after the change.
      expect(refillStatus("alice" as AccountId, changed, changedAtMs).nextRefillAt).toBe(
        new Date(firstMs).toISOString(),
      )
    },
  )

  test.prop([Arbitraries.refillSchedule, Arbitraries.moment, fc.nat()])(
    "keeping the schedule keeps the state: changing the amount within a period grants nothing more",
    (schedule, grantedAtMs, laterMs) => {
      const granted = decideRefill({ ...noRefill, settings: settingsOn(schedule) }, balance(0), grantedAtMs)
      if (granted._tag !== "Due") throw new Error("the first refill is due")
      expect(reschedule(granted.state, schedule)).toEqual(granted.state)
      const atMs = grantedAtMs + (laterMs % (granted.period.endMs - grantedAtMs))
      expect(decideRefill(granted.state, balance(0), atMs)._tag).toBe("NotDue")
    },
  )
})

describe("nextRefillAt", () => {
  test.prop([Arbitraries.refillSchedule, Arbitraries.moment, fc.option(fc.nat({ max: 3 * longestPeriodMs }))])(
    "is never in the past: now when a refill is due, else when the next one falls due",
    (schedule, nowMs, sinceGrantMs) => {
      const lastPeriodStartMs =
        sinceGrantMs === null ? null : periodContaining(schedule, Math.max(0, nowMs - sinceGrantMs)).startMs
      const state: RefillState = { settings: settingsOn(schedule), lastPeriodStartMs }
      const next = Date.parse(refillStatus("alice" as AccountId, state, nowMs).nextRefillAt!)

      expect(next).toBeGreaterThanOrEqual(nowMs)
      expect(decideRefill(state, balance(0), next)._tag).toBe("Due")
      if (next > nowMs) expect(decideRefill(state, balance(0), next - 1)._tag).toBe("NotDue")
    },
  )
})
