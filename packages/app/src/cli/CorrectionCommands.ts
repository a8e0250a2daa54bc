import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { account, writeFlags } from "./CommandFlags.ts"

/** What the commands do, loaded when one runs, so parsing the command line loads none of it. */
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
  Effect.flatMap(Effect.promise(actions), (action) => action.refund(flags)),
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
  ...writeFlags,
}

export const adjust = Command.make("adjust", adjustFlags, (flags) =>
  Effect.flatMap(Effect.promise(actions), (action) => action.adjust(flags)),
).pipe(Command.withDescription("Add or remove credits with a reason and an actor"))
