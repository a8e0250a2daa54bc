import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import {
  AutoTopUpRequestExpired,
  AutoTopUpRequestNotFound,
  AutoTopUpRequestNotOpen,
} from "./autoTopUp/AutoTopUpError.ts"
import { EntryNotFound, EntryNotRefundable, RefundExceedsEntry } from "./corrections/CorrectionError.ts"
import type { Rejected } from "./Decision.ts"
import { HeldLimitExceeded, HoldExpired, HoldNotFound, HoldNotOpen } from "./holds/HoldError.ts"
import {
  PendingCreditExpired,
  PendingCreditMetadataInvalid,
  PendingCreditNotFound,
  PendingCreditNotPending,
} from "./pendingCredits/PendingCreditError.ts"
import { MemberLimitExceeded } from "./wallets/MemberLimitExceeded.ts"

/** A top-up asked for while the balance is already at or above its ceiling. */
export class BalanceAtCeiling extends Schema.TaggedError<BalanceAtCeiling>()("BalanceAtCeiling", {
  balance: Schema.Int,
  ceiling: Schema.Int,
  amount: Schema.Int,
}) {
  override get message() {
    return `You already have enough balance: balance ${this.balance} is at or above the ceiling ${this.ceiling}, so a top-up of ${this.amount} was rejected`
  }
}

/**
 * A spend, hold, capture or removal that would take the available balance (`balance - held`) below
 * the account's floor. `held` reads as 0 in refusals recorded before holds existed.
 */
export class InsufficientCredits extends Schema.TaggedError<InsufficientCredits>()("InsufficientCredits", {
  balance: Schema.Int,
  amount: Schema.Int,
  floor: Schema.Int,
  held: Schema.Int.pipe(Schema.withDecodingDefaultKey(Effect.succeed(0))),
}) {
  override get message() {
    return this.held === 0
      ? `Insufficient credits: ${this.amount} would take the balance ${this.balance} below its floor ${this.floor}`
      : `Insufficient credits: ${this.amount} would take the available balance ${this.balance - this.held} (balance ${this.balance}, ${this.held} held) below its floor ${this.floor}`
  }
}

/**
 * A change that would carry the balance past the bound Tally can hold exactly: `balanceMax` is the
 * largest balance for credits in, the smallest (negative) for a debit allowed past the floor. Such a
 * debit may not take the available balance (the balance minus `heldAfter`, what open holds still
 * reserve after it) past that smallest value either.
 */
export class BalanceLimitExceeded extends Schema.TaggedError<BalanceLimitExceeded>()("BalanceLimitExceeded", {
  balance: Schema.Int,
  amount: Schema.Int,
  balanceMax: Schema.Int,
  heldAfter: Schema.Int.pipe(Schema.withDecodingDefaultKey(Effect.succeed(0))),
}) {
  override get message() {
    if (this.balanceMax >= 0)
      return `A top-up of ${this.amount} on balance ${this.balance} would pass the largest balance ${this.balanceMax}`
    return this.heldAfter === 0
      ? `A debit of ${this.amount} on balance ${this.balance} would pass the smallest balance ${this.balanceMax}`
      : `A debit of ${this.amount} on balance ${this.balance}, with ${this.heldAfter} still held, would take the available balance past the smallest ${this.balanceMax}`
  }
}

/** The same idempotency key was sent again with a different request. */
export class IdempotencyConflict extends Schema.TaggedError<IdempotencyConflict>()("IdempotencyConflict", {
  accountId: Schema.String,
  idempotencyKey: Schema.String,
}) {
  override get message() {
    return `Idempotency key ${this.idempotencyKey} of account ${this.accountId} was already used for a different request`
  }
}

/** An overdraft limit that the account's current debt (or what its holds reserve) already exceeds. */
export class OverdraftLimitBelowDebt extends Schema.TaggedError<OverdraftLimitBelowDebt>()("OverdraftLimitBelowDebt", {
  balance: Schema.Int,
  held: Schema.Int,
  overdraftLimit: Schema.Int,
}) {
  override get message() {
    return this.held === 0
      ? `An overdraft limit of ${this.overdraftLimit} cannot cover the current balance ${this.balance}`
      : `An overdraft limit of ${this.overdraftLimit} cannot cover the available balance ${this.balance - this.held} (balance ${this.balance}, ${this.held} held)`
  }
}

/** Input that failed validation; nothing was written. */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  message: Schema.String,
}) {}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** What failed validation, on one line: each problem after the field it is in (`amount: Expected ...`). */
export const invalidRequestOf = (error: Schema.SchemaError): InvalidRequest =>
  new InvalidRequest({
    message: formatIssues(error.issue)
      .issues.map(({ path = [], message }) => {
        const field = path.map((segment) => String(typeof segment === "object" ? segment.key : segment)).join(".")
        return field === "" ? message : `${field}: ${message}`
      })
      .join("; "),
  })

/** A caller's input decoded with the domain's schema; what does not decode is an `InvalidRequest`. */
export const validateRequest =
  <S extends Schema.Decoder<unknown>>(schema: S) =>
  (input: S["Encoded"]): Effect.Effect<S["Type"], InvalidRequest> =>
    Schema.decodeUnknownEffect(schema)(input).pipe(Effect.mapError(invalidRequestOf)) as Effect.Effect<
      S["Type"],
      InvalidRequest
    >

/** The storage could not complete the operation (after retries), and nothing was written. */
export class LedgerUnavailable extends Schema.TaggedError<LedgerUnavailable>()("LedgerUnavailable", {
  message: Schema.String,
}) {}

/**
 * The storage lost its connection while committing a write and could not find out, within its
 * retry budget, whether the write landed. A retry with the same idempotency key is safe: it applies
 * the write if it did not land, and returns its outcome if it did.
 */
export class OutcomeUnknown extends Schema.TaggedError<OutcomeUnknown>()("OutcomeUnknown", {
  accountId: Schema.String,
  idempotencyKey: Schema.NullOr(Schema.String),
}) {
  override get message() {
    const retry =
      this.idempotencyKey === null
        ? "this write had no idempotency key, so retrying it may apply it twice: read the account's entries first, and send keys"
        : `retrying with idempotency key ${this.idempotencyKey} is safe`
    return `The storage failed while committing a write on account ${this.accountId} and it is not known whether the write was applied; ${retry}`
  }
}

/** How a storage adapter fails an operation; rule rejections are results, not failures. */
export type StoreError = LedgerUnavailable | OutcomeUnknown | InvalidRequest

/**
 * The business rules a write can break: nothing moved. A keyed write records its rejection, so a
 * retry with the key answers the same.
 */
export const RuleRejection = Schema.Union([
  BalanceAtCeiling,
  InsufficientCredits,
  BalanceLimitExceeded,
  HoldNotFound,
  HoldNotOpen,
  HoldExpired,
  HeldLimitExceeded,
  EntryNotFound,
  EntryNotRefundable,
  RefundExceedsEntry,
  AutoTopUpRequestNotFound,
  AutoTopUpRequestNotOpen,
  AutoTopUpRequestExpired,
  PendingCreditNotFound,
  PendingCreditNotPending,
  PendingCreditExpired,
  PendingCreditMetadataInvalid,
  MemberLimitExceeded,
])
export type RuleRejection = typeof RuleRejection.Type

/**
 * The typed error that tells a caller why the core rejected a change. A spend's or a hold's limit is
 * the lowest balance it may leave, its floor plus what the account holds; the error names both.
 */
export const rejectionError = (decision: Rejected, held = 0): RuleRejection => {
  const balance = decision.balanceBefore
  const amount = Math.abs(decision.requested)
  switch (decision.reason) {
    case "AtCeiling":
      return new BalanceAtCeiling({ balance, ceiling: decision.limit, amount })
    case "InsufficientCredits":
      return new InsufficientCredits({ balance, amount, floor: decision.limit - held, held })
    case "BalanceLimit":
      return new BalanceLimitExceeded({ balance, amount, balanceMax: decision.limit, heldAfter: 0 })
  }
}
