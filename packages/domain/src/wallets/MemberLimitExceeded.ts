import * as Schema from "effect/Schema"

/**
 * A debit naming a member would take the member past its limit for the period: `used` is what the
 * member's debits took in the period that started at `periodStart` plus what its open holds reserve,
 * `requested` what this debit would add. Nothing was written.
 */
export class MemberLimitExceeded extends Schema.TaggedError<MemberLimitExceeded>()("MemberLimitExceeded", {
  accountId: Schema.String,
  member: Schema.String,
  limit: Schema.Int,
  used: Schema.Int,
  requested: Schema.Int,
  periodStart: Schema.String,
}) {
  override get message() {
    return `Member ${this.member} of account ${this.accountId} has used ${this.used} of its limit ${this.limit} for the period from ${this.periodStart}: ${this.requested} more would pass it`
  }
}
