import { AdjustmentRequest, Ledger, RefundRequest } from "@tally/domain"
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { account, writeFlags } from "./CommandFlags.ts"
import { present, run, writeInput } from "./CommandRun.ts"
import { describeWrite, writeResult } from "./WriteOutput.ts"

export const refund = Command.make(
  "refund",
  {
    account,
    sequence: Argument.Int("sequence").pipe(Argument.withDescription("The entry to refund, by its sequence")),
    amount: Argument.Int("amount").pipe(
      Argument.withDescription("Credits to refund (default: all that is left to refund of the entry)"),
      Argument.optional,
    ),
    reason: Flag.String("reason").pipe(Flag.optional),
    ...writeFlags,
  },
  (flags) =>
    run(
      flags,
      writeInput(RefundRequest, flags, {
        sequence: flags.sequence,
        ...present("amount", flags.amount),
        ...present("reason", flags.reason),
        ...present("idempotencyKey", flags.key),
      }),
      (request) => Ledger.use((ledger) => ledger.refund(request)).pipe(Effect.map(writeResult)),
      describeWrite,
    ),
).pipe(Command.withDescription("Refund an earlier entry: a debit linked to it, which may leave the account in debt"))

export const adjust = Command.make(
  "adjust",
  {
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
  },
  (flags) =>
    run(
      flags,
      writeInput(AdjustmentRequest, flags, {
        amount: flags.remove ? -flags.amount : flags.amount,
        reason: flags.reason,
        actor: flags.actor,
        force: flags.force,
        ...present("idempotencyKey", flags.key),
      }),
      (request) => Ledger.use((ledger) => ledger.adjust(request)).pipe(Effect.map(writeResult)),
      describeWrite,
    ),
).pipe(Command.withDescription("Add or remove credits with a reason and an actor"))
