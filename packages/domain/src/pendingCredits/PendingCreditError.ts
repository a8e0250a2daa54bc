import * as Schema from "effect/Schema"

/** The account has no pending credit with this id. */
export class PendingCreditNotFound extends Schema.TaggedError<PendingCreditNotFound>()("PendingCreditNotFound", {
  accountId: Schema.String,
  pendingCreditId: Schema.Int,
}) {
  override get message() {
    return `Account ${this.accountId} has no pending credit ${this.pendingCreditId}`
  }
}

/** The pending credit was already activated, voided or expired: it resolves once. */
export class PendingCreditNotPending extends Schema.TaggedError<PendingCreditNotPending>()("PendingCreditNotPending", {
  accountId: Schema.String,
  pendingCreditId: Schema.Int,
  status: Schema.Literals(["activated", "voided", "expired"]),
}) {
  override get message() {
    return `Pending credit ${this.pendingCreditId} of account ${this.accountId} is no longer pending: it was ${this.status}`
  }
}

/**
 * The pending credit's deadline passed before its activation: it is expired, and credits nothing. If
 * the payment was taken anyway, credit it with a top-up keyed by the payment's reference.
 */
export class PendingCreditExpired extends Schema.TaggedError<PendingCreditExpired>()("PendingCreditExpired", {
  accountId: Schema.String,
  pendingCreditId: Schema.Int,
  expiresAt: Schema.String,
}) {
  override get message() {
    return `Pending credit ${this.pendingCreditId} of account ${this.accountId} expired at ${this.expiresAt} and credits nothing; credit a payment taken for it with a top-up keyed by its reference`
  }
}

/** The activation's metadata merged over the pending credit's is more than an entry may carry. */
export class PendingCreditMetadataInvalid extends Schema.TaggedError<PendingCreditMetadataInvalid>()(
  "PendingCreditMetadataInvalid",
  { accountId: Schema.String, pendingCreditId: Schema.Int, problem: Schema.String },
) {
  override get message() {
    return `The metadata of pending credit ${this.pendingCreditId} of account ${this.accountId} merged with the activation's ${this.problem}`
  }
}

export type PendingCreditResolutionError = PendingCreditNotFound | PendingCreditNotPending | PendingCreditExpired
