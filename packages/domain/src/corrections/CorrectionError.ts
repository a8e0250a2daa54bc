import * as Schema from "effect/Schema"

/** The account has no entry with this sequence. */
export class EntryNotFound extends Schema.TaggedError<EntryNotFound>()("EntryNotFound", {
  accountId: Schema.String,
  sequence: Schema.Int,
}) {
  override get message() {
    return `Account ${this.accountId} has no entry ${this.sequence}`
  }
}

/** Only an entry that added credits can be refunded. */
export class EntryNotRefundable extends Schema.TaggedError<EntryNotRefundable>()("EntryNotRefundable", {
  accountId: Schema.String,
  sequence: Schema.Int,
  kind: Schema.String,
}) {
  override get message() {
    return `Entry ${this.sequence} of account ${this.accountId} (${this.kind}) added no credits, so there is nothing to refund`
  }
}

/** The refund asks for more than what is left to refund of the entry. */
export class RefundExceedsEntry extends Schema.TaggedError<RefundExceedsEntry>()("RefundExceedsEntry", {
  accountId: Schema.String,
  sequence: Schema.Int,
  amount: Schema.Int,
  refundable: Schema.Int,
}) {
  override get message() {
    return `A refund of ${this.amount} exceeds the ${this.refundable} credits left to refund of entry ${this.sequence} of account ${this.accountId}`
  }
}
