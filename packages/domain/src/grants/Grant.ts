import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Instant } from "../history/Instant.ts"

/**
 * A grant's place in the draw-down order: lower first. Credits without a priority or an expiry are
 * no grant at all and are drawn after every grant, so purchased credits sent without either field
 * are spent last and free ones (sent with an expiry) first.
 */
export const GrantPriority = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 9 }))
export type GrantPriority = typeof GrantPriority.Type

/** The priority of a grant that gives an expiry but no priority: the middle, so a caller can put grants either side. */
export const defaultGrantPriority: GrantPriority = 5

/** What a credit may say to become a grant; with neither field it is an ordinary credit. */
export const GrantTermsFields = {
  /** When what is left of the credit leaves the balance (ISO-8601 with an offset, or a date: midnight UTC). */
  expiresAt: Schema.optionalKey(Instant),
  /** Its place in the draw-down order, 0 to 9, lower first (default 5). */
  priority: Schema.optionalKey(GrantPriority),
}

export interface GrantTerms {
  readonly expiresAt?: string | undefined
  readonly priority?: number | undefined
}

/** Whether a credit with these terms is a grant. */
export const isGrant = (terms: GrantTerms | undefined): terms is GrantTerms =>
  terms !== undefined && (terms.expiresAt !== undefined || terms.priority !== undefined)

/**
 * `live` while anything is left of it; `spent` once debits took it all; `expired` once its expiry
 * took what debits left (some of it may have been spent first).
 */
export const GrantStatus = Schema.Literals(["live", "spent", "expired"])
export type GrantStatus = typeof GrantStatus.Type

/**
 * A lot of credits with its own expiry and priority. Its id is the sequence of the entry that made
 * it (a top-up, a grant, a refill, a completed auto top-up), so it needs no counter of its own.
 * `amount` is what that entry credited; `remaining` what is left of it: the amount less the debt the
 * credit repaid first, what debits took (`allocations` of their entries) and what expired.
 */
export const Grant = Schema.Struct({
  accountId: AccountId,
  grantId: Schema.Int,
  status: GrantStatus,
  amount: Schema.Int,
  remaining: Schema.Int,
  /** What its expiry took; 0 until it expires. */
  expired: Schema.Int,
  priority: GrantPriority,
  expiresAt: Schema.NullOr(Schema.String),
  createdAt: Schema.String,
  /** When it was last changed: spent, drawn from, expired or warned of. */
  updatedAt: Schema.String,
  /**
   * When its `grant.expiring` event was emitted (once per grant); null before. Grants stored before
   * the event existed read as not warned.
   */
  warnedAt: Schema.NullOr(Schema.String).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null))),
})
export type Grant = typeof Grant.Type

/** What one entry moved in or out of one grant: signed as the entry's amount. */
export const Allocation = Schema.Struct({ grantId: Schema.Int, amount: Schema.Int })
export type Allocation = typeof Allocation.Type

/** The draw-down order: priority, then soonest expiry (none last), then oldest. */
export const drawOrder = (a: Grant, b: Grant): number =>
  a.priority - b.priority ||
  (a.expiresAt === b.expiresAt
    ? 0
    : a.expiresAt === null
      ? 1
      : b.expiresAt === null
        ? -1
        : Date.parse(a.expiresAt) - Date.parse(b.expiresAt)) ||
  a.grantId - b.grantId

/** Accounts without grants share this one empty list. */
export const noGrants: ReadonlyArray<Grant> = []

/** The credits the account's live grants hold together. */
export const grantedOf = (grants: ReadonlyArray<Grant>): number =>
  grants.reduce((sum, grant) => sum + grant.remaining, 0)
