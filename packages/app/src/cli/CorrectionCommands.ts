import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { runAction } from "./CommandAction.ts"
import { account, member, writeFlags } from "./CommandFlags.ts"

const actions = () => import("./CorrectionActions.ts")

export const refundFlags = {
  account,
  sequence: Argument.Int("sequence").pipe(Argument.withDescription("The entry to refund, by its sequence")),
  amount: Argument.Int("amount").pipe(
    Argument.withDescription("Credits to refund (default: all that is left to refund of the entry)"),
    Argument.optional,
  ),
  reason: Flag.String("reason").pipe(Flag.optional),
  ...writeFlags,
}

export const refund = Command.make("refund", refundFlags, (flags) =>
  runAction(actions, (action) => action.refund(flags)),
).pipe(Command.withDescription("Refund an earlier entry: a debit linked to it, which may leave the account in debt"))

export const adjustFlags = {
  account,
  amount: Argument.Int("amount").pipe(Argument.withDescription("Credits to add (or with --remove, to remove)")),
  remove: Flag.Boolean("remove").pipe(Flag.withDescription("Remove the credits instead"), Flag.withDefault(false)),
  reason: Flag.String("reason").pipe(Flag.withDescription("Why (required)")),
  actor: Flag.String("actor").pipe(Flag.withDescription("Who makes the adjustment (required)")),
  force: Flag.Boolean("force").pipe(
    Flag.withDescription("Let a removal take the balance below its floor"),
    Flag.withDefault(false),
  ),
  member,
  ...writeFlags,
}

export const adjust = Command.make("adjust", adjustFlags, (flags) =>
  runAction(actions, (action) => action.adjust(flags)),
).pipe(Command.withDescription("Add or remove credits with a reason and an actor"))
