import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Amount, creditsBetween } from "../Credits.ts"
import { Reference } from "../history/Reference.ts"
import { IdempotencyKey } from "../IdempotencyKey.ts"
import { Limits } from "../Limits.ts"
import { Metadata, storable } from "../Metadata.ts"
import { Member } from "../wallets/Member.ts"

/** C0 controls (line breaks, tabs, NUL...) and DEL. */
const isControl = (code: number) => code < 0x20 || code === 0x7f

const hasControlCharacter = (text: string) => {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i))) return true
  return false
}

/** One line of text people read in the trail: no control characters, storable as PostgreSQL text. */
const line = (lengthMax: number) =>
  Schema.String.check(
    Schema.isMinLength(1),
    Schema.isMaxLength(lengthMax),
    Schema.makeFilter((text) => storable(text) && !hasControlCharacter(text), {
      expected: "one line of text without control characters",
    }),
  )

export const Reason = line(Limits.reasonLengthMax)
export const Actor = line(Limits.actorLengthMax)

/**
 * Refund an earlier entry that added credits (by its sequence): a debit linked to it, of `amount`
 * or of everything left to refund of it. Refunds of one entry never sum past it. The money already
 * went back, so a refund may take the balance below the floor; the entry records it as overdrawn.
 */
export const RefundRequest = Schema.Struct({
  accountId: AccountId,
  sequence: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  amount: Schema.optionalKey(Amount),
  reason: Schema.optionalKey(Reason),
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
  reference: Schema.optionalKey(Reference),
  metadata: Schema.optionalKey(Metadata),
})
export type RefundRequest = typeof RefundRequest.Type

/** A signed amount of credits: positive adds, negative removes; never zero. */
export const SignedAmount = creditsBetween(-Limits.amountMax, Limits.amountMax).check(
  Schema.makeFilter((n) => n !== 0, { expected: "a non-zero amount" }),
)

/**
 * An operator's correction, in either direction, with why and by whom. A removal obeys the floor
 * (it acts on the available balance, as a spend) unless `force` is set.
 */
export const AdjustmentRequest = Schema.Struct({
  accountId: AccountId,
  amount: SignedAmount,
  reason: Reason,
  actor: Actor,
  force: Schema.optionalKey(Schema.Boolean),
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
  reference: Schema.optionalKey(Reference),
  metadata: Schema.optionalKey(Metadata),
  /** The member of the wallet it corrects; it never counts against the member's limit. */
  member: Schema.optionalKey(Member),
})
export type AdjustmentRequest = typeof AdjustmentRequest.Type
