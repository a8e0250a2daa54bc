import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { runAction } from "./CommandAction.ts"
import { account, json, memory } from "./CommandFlags.ts"

/** `tally grants` and `tally expire-grants`, and the flags that make a credit a grant. */

/** What makes a credit (`tally top-up`, `tally complete-auto-top-up`) a grant. */
export const grantTermsFlags = {
  expiresAt: Flag.String("expires-at").pipe(
    Flag.withDescription("Make the credits a grant that expires then (ISO-8601 with an offset)"),
    Flag.optional,
  ),
  priority: Flag.Int("priority").pipe(
    Flag.withDescription("Make the credits a grant drawn in this order, 0 to 9, lower first (default 5)"),
    Flag.optional,
  ),
}

const actions = () => import("./GrantActions.ts")

export const grantsFlags = {
  account,
  limit: Flag.Int("limit").pipe(Flag.withDescription("Grants per page"), Flag.optional),
  cursor: Flag.String("cursor").pipe(Flag.withDescription("The nextCursor of the previous page"), Flag.optional),
  memory,
  json,
}

export const grants = Command.make("grants", grantsFlags, (flags) =>
  runAction(actions, (action) => action.grants(flags)),
).pipe(Command.withDescription("List an account's grants (live, spent and expired), newest first"))

export const expireGrantsFlags = {
  account: Argument.String("account").pipe(
    Argument.withDescription("Only this account (default: every account)"),
    Argument.optional,
  ),
  memory,
  json,
}

export const expireGrants = Command.make("expire-grants", expireGrantsFlags, (flags) =>
  runAction(actions, (action) => action.expireGrants(flags)),
).pipe(Command.withDescription("Expire what is due of grants (the service does it every second)"))
