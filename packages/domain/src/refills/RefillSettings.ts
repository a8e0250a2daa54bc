import * as Schema from "effect/Schema"
import { Amount, Ceiling } from "../Credits.ts"

/**
 * When a refill comes: every day, every week on a weekday (ISO 8601: 1 is Monday, 7 is Sunday), or
 * every month on a day of the month. Boundaries are at midnight UTC; a monthly day past the end of a
 * shorter month falls on its last day (the 31st refills on 30 April and on 28 or 29 February), as
 * billing anchors do in Stripe.
 */
export const RefillSchedule = Schema.Union([
  Schema.Struct({ period: Schema.Literal("daily") }),
  Schema.Struct({
    period: Schema.Literal("weekly"),
    weekday: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 7 })),
  }),
  Schema.Struct({
    period: Schema.Literal("monthly"),
    dayOfMonth: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 31 })),
  }),
])
export type RefillSchedule = typeof RefillSchedule.Type

/** `period`: a refill's credits expire at the end of the period they were granted for ("use it or lose it"). */
export const RefillExpiresAfter = Schema.Literal("period")

/**
 * A periodic refill, after the origin's monthly refill that granted credits "up to" a value: once per
 * period, a `grant` of `amount` with the `ceiling` (Applied, Clamped to the ceiling, or nothing when
 * the balance is at or above it). Without a ceiling the whole amount is granted every period.
 */
export const RefillSettings = Schema.Struct({
  enabled: Schema.Boolean,
  amount: Amount,
  ceiling: Schema.NullOr(Ceiling),
  schedule: RefillSchedule,
  expiresAfter: Schema.optionalKey(RefillExpiresAfter),
})
export type RefillSettings = typeof RefillSettings.Type
