import type { PendingCreditKind, PendingCreditStatus } from "@tally/domain/core"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { exactly } from "../ExactList.ts"
import { runAction } from "./CommandAction.ts"
import { account, amount, json, key, memory, requiredKey, writeFlags } from "./CommandFlags.ts"

/** `tally pending-credit`, `activate-credit`, `void-credit`, `pending-credits`, `expire-pending-credits`. */

const actions = () => import("./PendingCreditActions.ts")

/* The domain's lists, restated so parsing the command line loads no schema; the types hold them to the domain's. */
const pendingCreditKinds = exactly<PendingCreditKind>()(["top-up", "grant"])
const pendingCreditStatuses = exactly<PendingCreditStatus>()(["pending", "activated", "voided", "expired"])

const pendingCreditId = Argument.Int("pending-credit-id").pipe(
  Argument.withDescription("The pending credit's id, as `pending-credit` printed it"),
)

export const pendingCreditFlags = {
  account,
  amount,
  kind: Flag.Literals("kind", pendingCreditKinds).pipe(
    Flag.withDescription("top-up (default) or grant: the kind of entry its activation appends"),
    Flag.optional,
  ),
  ceiling: Flag.Int("ceiling").pipe(
    Flag.withDescription("At activation: reject at or above this balance, clamp a credit that would pass it"),
    Flag.optional,
  ),
  expiresIn: Flag.Int("expires-in").pipe(
    Flag.withDescription("Seconds until it expires unactivated (default 3600)"),
    Flag.optional,
  ),
  grantExpiresAt: Flag.String("grant-expires-at").pipe(
    Flag.withDescription("Once activated, a grant that expires then (ISO-8601 with an offset)"),
    Flag.optional,
  ),
  grantPriority: Flag.Int("grant-priority").pipe(
    Flag.withDescription("Once activated, a grant drawn in this order, 0 to 9, lower first (default 5)"),
    Flag.optional,
  ),
  ...writeFlags,
  key: requiredKey,
}

export const pendingCredit = Command.make("pending-credit", pendingCreditFlags, (flags) =>
  runAction(actions, (action) => action.pendingCredit(flags)),
).pipe(Command.withDescription("Record a credit that counts only once activated (a checkout started)"))

export const activateCreditFlags = {
  account,
  pendingCreditId,
  key,
  metadata: Flag.String("metadata").pipe(
    Flag.withDescription("JSON object merged over the pending credit's metadata (the payment's)"),
    Flag.optional,
  ),
  memory,
  json,
}

export const activateCredit = Command.make("activate-credit", activateCreditFlags, (flags) =>
  runAction(actions, (action) => action.activateCredit(flags)),
).pipe(Command.withDescription("The payment was confirmed: credit a pending credit, under its ceiling"))

export const voidCreditFlags = { account, pendingCreditId, key, memory, json }

export const voidCredit = Command.make("void-credit", voidCreditFlags, (flags) =>
  runAction(actions, (action) => action.voidCredit(flags)),
).pipe(Command.withDescription("The payment failed: credit nothing"))

export const pendingCreditsFlags = {
  account,
  status: Flag.Literals("status", pendingCreditStatuses).pipe(Flag.optional),
  limit: Flag.Int("limit").pipe(Flag.withDescription("Pending credits per page"), Flag.optional),
  cursor: Flag.String("cursor").pipe(Flag.withDescription("The nextCursor of the previous page"), Flag.optional),
  memory,
  json,
}

export const pendingCredits = Command.make("pending-credits", pendingCreditsFlags, (flags) =>
  runAction(actions, (action) => action.pendingCredits(flags)),
).pipe(Command.withDescription("List an account's pending credits, newest first"))

export const expirePendingCreditsFlags = { memory, json }

export const expirePendingCredits = Command.make("expire-pending-credits", expirePendingCreditsFlags, (flags) =>
  runAction(actions, (action) => action.expirePendingCredits(flags)),
).pipe(Command.withDescription("Expire every pending credit past its deadline (the service does it every second)"))
