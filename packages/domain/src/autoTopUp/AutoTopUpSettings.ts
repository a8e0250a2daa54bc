import * as Schema from "effect/Schema"
import { Amount, Ceiling, creditsBetween } from "../Credits.ts"
import { Limits } from "../Limits.ts"
import { AutoTopUpCeilingBelowThreshold } from "./AutoTopUpError.ts"
import type { AutoTopUpState } from "./AutoTopUpRequest.ts"

/** The available balance below which auto top-up asks for credits; 0 means only once the account is in debt. */
export const Threshold = creditsBetween(0, Limits.balanceMax).pipe(Schema.brand("Threshold"))
export type Threshold = typeof Threshold.Type

export const threshold = Schema.decodeUnknownSync(Threshold)

/**
 * An account's auto top-up, named as the origin names its `auto_top_up` settings (`threshold`,
 * `amount`): when a write leaves the available balance below `threshold`, Tally asks the app for
 * `amount` credits, never more than lifts the balance to `ceiling` (when there is one).
 * `enabled` is switched off by Tally after repeated failures; setting it again switches it back on.
 */
export const AutoTopUpSettings = Schema.Struct({
  enabled: Schema.Boolean,
  threshold: Threshold,
  amount: Amount,
  ceiling: Schema.NullOr(Ceiling),
})
export type AutoTopUpSettings = typeof AutoTopUpSettings.Type

/**
 * Settings whose numbers work together. A ceiling below the threshold would leave the balances
 * between them below the threshold with no top-up able to lift them: every completed request would
 * be followed by another (the runaway Lago reports in its PR 6103). A ceiling equal to the threshold
 * tops up to exactly the threshold. Amounts larger than the room under the ceiling are fine: they
 * are clamped, like any top-up with a ceiling.
 */
export const validateAutoTopUpSettings = (
  settings: AutoTopUpSettings,
): AutoTopUpSettings | AutoTopUpCeilingBelowThreshold =>
  settings.ceiling !== null && settings.ceiling < settings.threshold
    ? new AutoTopUpCeilingBelowThreshold({ threshold: settings.threshold, ceiling: settings.ceiling })
    : settings

/**
 * Sets an account's auto top-up settings. Setting them (enabled) again is how an account switched off
 * after repeated failures is switched back on: the count of failures starts again from zero. A
 * request already open stays open and is completed for the amount it asked for.
 */
export const configureAutoTopUp = (
  state: AutoTopUpState,
  settings: AutoTopUpSettings,
): AutoTopUpState | AutoTopUpCeilingBelowThreshold => {
  const valid = validateAutoTopUpSettings(settings)
  if (valid instanceof AutoTopUpCeilingBelowThreshold) return valid
  return { ...state, settings: valid, consecutiveFailures: valid.enabled ? 0 : state.consecutiveFailures }
}
