import {
  CaptureRequest,
  type Hold,
  HoldLookup,
  type HoldPosting,
  HoldRequest,
  Ledger,
  ReleaseRequest,
} from "@tally/domain/core"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import { noInput, present, run, validate, writeInput } from "./CommandRun.ts"
import type { captureFlags, expireHoldsFlags, getHoldFlags, holdFlags, releaseFlags } from "./HoldCommands.ts"

const describeHold = (hold: Hold) =>
  [
    `hold ${hold.holdId} on ${hold.accountId}: ${hold.status}`,
    `${hold.amount} reserved${hold.amount === hold.requested ? "" : ` of ${hold.requested} requested`}`,
    `${hold.captured} captured${hold.excess === 0 ? "" : ` (+${hold.excess} beyond the hold)`}`,
    hold.expiresAt === null ? "" : `expires ${hold.expiresAt}`,
    hold.member === undefined ? "" : `for ${hold.member}`,
  ]
    .filter((part) => part !== "")
    .join(", ")

/** A hold operation's result as `--json` prints it (and the HTTP API answers it). */
const holdWriteResult = ({ hold, entry, balances, replayed }: HoldPosting) => ({ hold, entry, ...balances, replayed })

const describeHoldWrite = (result: ReturnType<typeof holdWriteResult>) => {
  const replay = result.replayed ? " (replay of its idempotency key: nothing changed)" : ""
  const captured = result.entry === null ? "" : `; captured ${-result.entry.amount} as entry ${result.entry.sequence}`
  return `${describeHold(result.hold)}${captured}; balance ${result.balance}, held ${result.held}, available ${result.available}${replay}`
}

export const hold = (flags: Command.Command.Config.Infer<typeof holdFlags>) =>
  run(
    flags,
    writeInput(HoldRequest, flags, {
      amount: flags.amount,
      mode: flags.mode,
      idempotencyKey: flags.key,
      ...present("expiresInSeconds", flags.expiresIn),
      ...present("member", flags.member),
    }),
    (request) => Ledger.use((ledger) => ledger.hold(request)).pipe(Effect.map(holdWriteResult)),
    describeHoldWrite,
  )

export const capture = (flags: Command.Command.Config.Infer<typeof captureFlags>) =>
  run(
    flags,
    writeInput(CaptureRequest, flags, {
      holdId: flags.holdId,
      final: !flags.keepOpen,
      allowDebt: flags.allowDebt,
      idempotencyKey: flags.key,
      ...present("amount", flags.amount),
      ...present("member", flags.member),
    }),
    (request) => Ledger.use((ledger) => ledger.capture(request)).pipe(Effect.map(holdWriteResult)),
    describeHoldWrite,
  )

export const release = (flags: Command.Command.Config.Infer<typeof releaseFlags>) =>
  run(
    flags,
    validate(ReleaseRequest)({ accountId: flags.account, holdId: flags.holdId, idempotencyKey: flags.key }),
    (request) => Ledger.use((ledger) => ledger.release(request)).pipe(Effect.map(holdWriteResult)),
    describeHoldWrite,
  )

export const getHold = (flags: Command.Command.Config.Infer<typeof getHoldFlags>) =>
  run(
    flags,
    validate(HoldLookup)({ accountId: flags.account, holdId: flags.holdId }),
    (request) => Ledger.use((ledger) => ledger.getHold(request)),
    describeHold,
  )

export const expireHolds = (flags: Command.Command.Config.Infer<typeof expireHoldsFlags>) =>
  run(
    flags,
    noInput,
    () => Ledger.use((ledger) => ledger.expireHolds),
    (result) => `expired ${result.expired} holds`,
  )
