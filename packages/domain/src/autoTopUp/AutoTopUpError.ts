import * as Schema from "effect/Schema"

/** Auto top-up settings whose ceiling lies below their threshold. */
export class AutoTopUpCeilingBelowThreshold extends Schema.TaggedError<AutoTopUpCeilingBelowThreshold>()(
  "AutoTopUpCeilingBelowThreshold",
  { threshold: Schema.Int, ceiling: Schema.Int },
) {
  override get message() {
    return `An auto top-up ceiling of ${this.ceiling} is below its threshold ${this.threshold}: balances between them could never be topped up`
  }
}

/** No auto top-up request with this id on the account. */
export class AutoTopUpRequestNotFound extends Schema.TaggedError<AutoTopUpRequestNotFound>()(
  "AutoTopUpRequestNotFound",
  { accountId: Schema.String, requestId: Schema.Int },
) {
  override get message() {
    return `Account ${this.accountId} has no auto top-up request ${this.requestId}`
  }
}

/** The request was already resolved, differently from what was asked now. */
export class AutoTopUpRequestNotOpen extends Schema.TaggedError<AutoTopUpRequestNotOpen>()("AutoTopUpRequestNotOpen", {
  accountId: Schema.String,
  requestId: Schema.Int,
  status: Schema.Literals(["completed", "failed", "expired"]),
}) {
  override get message() {
    return `Auto top-up request ${this.requestId} of account ${this.accountId} is already ${this.status}`
  }
}

/**
 * The request's deadline passed before it was completed or failed: it no longer credits anything.
 * If the customer was charged anyway, credit the payment with a plain top-up keyed by its reference.
 */
export class AutoTopUpRequestExpired extends Schema.TaggedError<AutoTopUpRequestExpired>()("AutoTopUpRequestExpired", {
  accountId: Schema.String,
  requestId: Schema.Int,
  expiresAt: Schema.String,
}) {
  override get message() {
    return `Auto top-up request ${this.requestId} of account ${this.accountId} expired at ${this.expiresAt}; credit a payment taken for it with a top-up keyed by its payment reference`
  }
}

export type AutoTopUpResolutionError = AutoTopUpRequestNotFound | AutoTopUpRequestNotOpen | AutoTopUpRequestExpired
