import * as Schema from "effect/Schema"
import type { Balance } from "../Credits.ts"
import type { Decision } from "../Decision.ts"
import { applyTopUp } from "../TopUp.ts"
import { periodContaining, type RefillPeriod } from "./RefillPeriod.ts"
import { type RefillSchedule, RefillSettings } from "./RefillSettings.ts"

/**
 * What an account keeps of its refill: the settings, and which period was refilled last (or, after a
 * change of schedule, the newest period of the new schedule that a grant of the old one still covers).
 */
export const RefillState = Schema.Struct({
  settings: Schema.NullOr(RefillSettings),
  /** Start of the newest period already refilled (or found at its ceiling), epoch ms; null before the first. */
  lastPeriodStartMs: Schema.NullOr(Schema.Int),
})
export type RefillState = typeof RefillState.Type

export const noRefill: RefillState = { settings: null, lastPeriodStartMs: null }

export type RefillDecision =
  | { readonly _tag: "NotDue"; readonly reason: "NotConfigured" | "Disabled" | "AlreadyRefilled" }
  | {
      readonly _tag: "Due"
      readonly period: RefillPeriod
      /**
       * The grant: Applied, Clamped to the ceiling, or Rejected when the balance is already at or above
       * it. Any of them settles the period: a balance at its ceiling is refilled by staying there.
       */
      readonly decision: Decision
      readonly state: RefillState
    }

/**
 * Decides the refill due at `nowMs`: the one of the period that contains it, if that period starts
 * after the last one refilled. Only the current period counts, so after downtime a late refill
 * happens once, never once per missed period. The first refill is due in the period the settings are
 * first set in, as the origin's monthly refill granted on the first use of each month.
 */
export const decideRefill = (state: RefillState, balance: Balance, nowMs: number): RefillDecision => {
  const { settings } = state
  if (settings === null) return { _tag: "NotDue", reason: "NotConfigured" }
  if (!settings.enabled) return { _tag: "NotDue", reason: "Disabled" }
  const period = periodContaining(settings.schedule, nowMs)
  if (state.lastPeriodStartMs !== null && period.startMs <= state.lastPeriodStartMs) {
    return { _tag: "NotDue", reason: "AlreadyRefilled" }
  }
  return {
    _tag: "Due",
    period,
    decision: applyTopUp(balance, settings.amount, settings.ceiling ?? undefined),
    state: { ...state, lastPeriodStartMs: period.startMs },
  }
}

/**
 * When the next refill falls due, epoch ms: the end of the period last refilled (in the current
 * schedule), or at once (0) when none was; null when refills are off. Stores index accounts by it, so
 * a sweep reads only the accounts whose refill is due.
 */
export const refillDueAtMs = (state: RefillState): number | null => {
  const { settings } = state
  if (settings === null || !settings.enabled) return null
  if (state.lastPeriodStartMs === null) return 0
  return periodContaining(settings.schedule, state.lastPeriodStartMs).endMs
}

/**
 * The state once the schedule becomes `schedule`. A grant covers its period to the end, whatever the
 * schedule does afterwards: the next refill is due in the first period of the new schedule that starts
 * at or after that end, so a monthly refill changed to daily on the same day waits for the month to
 * end instead of granting again. The unchanged schedule keeps the state as it is.
 */
export const reschedule = (state: RefillState, schedule: RefillSchedule): RefillState => {
  if (state.settings === null || state.lastPeriodStartMs === null) return state
  const coveredUntilMs = periodContaining(state.settings.schedule, state.lastPeriodStartMs).endMs
  return { ...state, lastPeriodStartMs: periodContaining(schedule, coveredUntilMs - 1).startMs }
}
