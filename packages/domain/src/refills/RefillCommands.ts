import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Amount, Ceiling } from "../Credits.ts"
import { type RefillState, refillDueAtMs } from "./Refill.ts"
import { RefillExpiresAfter, RefillSchedule } from "./RefillSettings.ts"

/** What the ledger is asked to do with an account's periodic refill, and what it answers. */

/** Set an account's refill: `amount` up to `ceiling` on `schedule`; `enabled` true unless said otherwise. */
export const ConfigureRefillRequest = Schema.Struct({
  accountId: AccountId,
  amount: Amount,
  ceiling: Schema.optionalKey(Ceiling),
  schedule: RefillSchedule,
  enabled: Schema.optionalKey(Schema.Boolean),
  /** `period`: each refill's credits are a grant that expires at its period's end. */
  expiresAfter: Schema.optionalKey(RefillExpiresAfter),
})
export type ConfigureRefillRequest = typeof ConfigureRefillRequest.Type

/**
 * An account's refill as a caller reads it: the settings (null until configured), the period
 * refilled last, and when the next refill is due (ISO-8601; null when refills are off).
 */
export const RefillStatus = Schema.Struct({
  accountId: AccountId,
  enabled: Schema.Boolean,
  amount: Schema.NullOr(Amount),
  ceiling: Schema.NullOr(Ceiling),
  schedule: Schema.NullOr(RefillSchedule),
  lastPeriodStart: Schema.NullOr(Schema.String),
  nextRefillAt: Schema.NullOr(Schema.String),
  expiresAfter: Schema.optionalKey(RefillExpiresAfter),
})
export type RefillStatus = typeof RefillStatus.Type

/** The status at `nowMs`: a refill due already is due now (the next run grants it), never in the past. */
export const refillStatus = (accountId: AccountId, state: RefillState, nowMs: number): RefillStatus => {
  const { settings } = state
  const dueAtMs = refillDueAtMs(state)
  const iso = (ms: number) => new Date(ms).toISOString()
  return {
    accountId,
    enabled: settings?.enabled ?? false,
    amount: settings?.amount ?? null,
    ceiling: settings?.ceiling ?? null,
    schedule: settings?.schedule ?? null,
    lastPeriodStart: state.lastPeriodStartMs === null ? null : iso(state.lastPeriodStartMs),
    nextRefillAt: dueAtMs === null || settings === null ? null : iso(Math.max(dueAtMs, nowMs)),
    ...(settings?.expiresAfter === undefined ? {} : { expiresAfter: settings.expiresAfter }),
  }
}

/** What one pass over the due refills did: refills that granted credits, and periods found at the ceiling. */
export interface RefillRun {
  readonly refilled: number
  readonly atCeiling: number
}
