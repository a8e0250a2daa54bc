import * as Schema from "effect/Schema"

/** The account has no hold with this id. */
export class HoldNotFound extends Schema.TaggedError<HoldNotFound>()("HoldNotFound", {
  accountId: Schema.String,
  holdId: Schema.Int,
}) {
  override get message() {
    return `Account ${this.accountId} has no hold ${this.holdId}`
  }
}

/** The hold was already captured in full, released or expired: a hold resolves once. */
export class HoldNotOpen extends Schema.TaggedError<HoldNotOpen>()("HoldNotOpen", {
  accountId: Schema.String,
  holdId: Schema.Int,
  status: Schema.String,
}) {
  override get message() {
    return `Hold ${this.holdId} of account ${this.accountId} is no longer open: it was ${this.status}`
  }
}

/** The hold's deadline passed before the capture: it is released as expired instead. */
export class HoldExpired extends Schema.TaggedError<HoldExpired>()("HoldExpired", {
  accountId: Schema.String,
  holdId: Schema.Int,
  expiresAt: Schema.String,
}) {
  override get message() {
    return `Hold ${this.holdId} of account ${this.accountId} expired at ${this.expiresAt} and can no longer be captured; its credits are released`
  }
}

/**
 * A hold that would take what the account's open holds reserve together past `heldMax`, the largest
 * amount Tally holds exactly: release or capture holds first. Not a lack of credits: a spend of the
 * same amount may still succeed.
 */
export class HeldLimitExceeded extends Schema.TaggedError<HeldLimitExceeded>()("HeldLimitExceeded", {
  held: Schema.Int,
  amount: Schema.Int,
  heldMax: Schema.Int,
}) {
  override get message() {
    return `A hold of ${this.amount} on ${this.held} already held would take what open holds reserve past the largest amount held ${this.heldMax}`
  }
}
