import * as Schema from "effect/Schema"
import { Limits } from "../Limits.ts"

/**
 * A member of an organization's wallet: the user who caused an entry, in the caller's own ids. Its
 * bound and characters are an account id's, so it is as safe in a URL, a log line and a CSV cell.
 * A member is scoped to its wallet (the account): the same id on two accounts is two members.
 */
export const Member = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(Limits.memberLengthMax),
  Schema.isPattern(Limits.accountIdPattern),
).annotate({
  message: `a member is 1 to ${Limits.memberLengthMax} letters, digits and ._:- (starting with a letter or digit)`,
})
export type Member = typeof Member.Type
