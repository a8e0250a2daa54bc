import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Amount } from "../Credits.ts"
import { Reference } from "../history/Reference.ts"
import { IdempotencyKey } from "../IdempotencyKey.ts"
import { Limits } from "../Limits.ts"
import { Metadata } from "../Metadata.ts"
import { SpendMode } from "../Spend.ts"
import { Member } from "../wallets/Member.ts"
import { HoldId } from "./Hold.ts"

/**
 * Every hold operation carries an idempotency key: a hold's id is known only from its answer, and a
 * capture or release retried after a lost answer must not apply twice.
 */

const requiredKey = IdempotencyKey.pipe(
  Schema.annotateKey({ messageMissingKey: "an idempotency key is required on every hold operation" }),
)

/** Reserve `amount` (or in `available` mode what the floor leaves), optionally until a deadline. */
export const HoldRequest = Schema.Struct({
  accountId: AccountId,
  amount: Amount,
  mode: Schema.optionalKey(SpendMode),
  expiresInSeconds: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.holdExpiresInSecondsMax })),
  ),
  idempotencyKey: requiredKey,
  reference: Schema.optionalKey(Reference),
  metadata: Schema.optionalKey(Metadata),
  /** The member it reserves for: the reservation counts against the member's limit until resolved. */
  member: Schema.optionalKey(Member),
})
export type HoldRequest = typeof HoldRequest.Type

/**
 * Settle part or all of a hold as usage. Without `amount`, what the hold still reserves. `final`
 * (the default, as a card capture) releases what is left; `final: false` keeps the hold open for
 * more captures. An amount beyond the hold takes the excess from the available balance and is
 * always final; `allowDebt` lets it go below the floor rather than fail.
 */
export const CaptureRequest = Schema.Struct({
  accountId: AccountId,
  holdId: HoldId,
  amount: Schema.optionalKey(Amount),
  final: Schema.optionalKey(Schema.Boolean),
  allowDebt: Schema.optionalKey(Schema.Boolean),
  idempotencyKey: requiredKey,
  reference: Schema.optionalKey(Reference),
  metadata: Schema.optionalKey(Metadata),
  /** The member its entry names; the hold's member when absent. */
  member: Schema.optionalKey(Member),
})
export type CaptureRequest = typeof CaptureRequest.Type

/** Free what the hold still reserves. */
export const ReleaseRequest = Schema.Struct({ accountId: AccountId, holdId: HoldId, idempotencyKey: requiredKey })
export type ReleaseRequest = typeof ReleaseRequest.Type

export const HoldLookup = Schema.Struct({ accountId: AccountId, holdId: HoldId })
export type HoldLookup = typeof HoldLookup.Type
