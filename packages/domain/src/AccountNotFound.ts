import * as Schema from "effect/Schema"

/**
 * Nothing was ever written to this account: no entry, no hold, no pending credit, no settings (settings
 * left at their defaults write nothing). A read that answers for one account says so, so that a mistyped id
 * does not read as an empty account.
 */
export class AccountNotFound extends Schema.TaggedError<AccountNotFound>()("AccountNotFound", {
  accountId: Schema.String,
}) {
  override get message() {
    return `Account ${this.accountId} has never been written to: no entry, hold, pending credit or settings`
  }
}
