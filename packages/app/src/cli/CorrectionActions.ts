import { AdjustmentRequest, InvalidRequest, Ledger, RefundRequest } from "@tally/domain/core"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import { present, run, writeInput } from "./CommandRun.ts"
import type { adjustFlags, refundFlags } from "./CorrectionCommands.ts"
import { describeWrite, writeResult } from "./WriteOutput.ts"

export const refund = (flags: Command.Command.Config.Infer<typeof refundFlags>) =>
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
  )

export const adjust = (flags: Command.Command.Config.Infer<typeof adjustFlags>) =>
  run(
    flags,
    // `--remove -5` would add 5: the sign is the flag's to give.
    flags.remove && flags.amount < 0
      ? Effect.fail(new InvalidRequest({ message: "with --remove, give the credits to remove as a positive amount" }))
      : writeInput(AdjustmentRequest, flags, {
          amount: flags.remove ? -flags.amount : flags.amount,
          reason: flags.reason,
          actor: flags.actor,
          force: flags.force,
          ...present("member", flags.member),
          ...present("idempotencyKey", flags.key),
        }),
    (request) => Ledger.use((ledger) => ledger.adjust(request)).pipe(Effect.map(writeResult)),
    describeWrite,
  )
