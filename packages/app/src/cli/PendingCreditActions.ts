import {
  ActivateCreditRequest,
  Ledger,
  type PendingCredit,
  type PendingCreditPosting,
  PendingCreditRequest,
  PendingCreditsRequest,
  VoidCreditRequest,
} from "@tally/domain/core"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { noInput, present, run, validate, writeInput } from "./CommandRun.ts"
import type {
  activateCreditFlags,
  expirePendingCreditsFlags,
  pendingCreditFlags,
  pendingCreditsFlags,
  voidCreditFlags,
} from "./PendingCreditCommands.ts"

const describeCredit = (credit: PendingCredit) =>
  [
    `pending credit ${credit.pendingCreditId} on ${credit.accountId}: ${credit.status}`,
    `${credit.amount} ${credit.kind}${credit.ceiling === null ? "" : ` under ceiling ${credit.ceiling}`}`,
    credit.status === "pending" ? `expires ${credit.expiresAt}` : "",
  ]
    .filter((part) => part !== "")
    .join(", ")

/** A pending credit operation's result as `--json` prints it (and the HTTP API answers it). */
const creditWriteResult = ({ pendingCredit, entry, balances, replayed }: PendingCreditPosting) => ({
  pendingCredit,
  entry,
  ...balances,
  replayed,
})

const describeCreditWrite = (result: ReturnType<typeof creditWriteResult>) => {
  const replay = result.replayed ? " (replay of its idempotency key: nothing changed)" : ""
  const credited =
    result.entry === null ? "" : `; ${result.entry.decision} ${result.entry.amount} as entry ${result.entry.sequence}`
  return `${describeCredit(result.pendingCredit)}${credited}; balance ${result.balance}, available ${result.available}${replay}`
}

export const pendingCredit = (flags: Command.Command.Config.Infer<typeof pendingCreditFlags>) =>
  run(
    flags,
    writeInput(PendingCreditRequest, flags, {
      amount: flags.amount,
      idempotencyKey: flags.key,
      ...present("kind", flags.kind),
      ...present("ceiling", flags.ceiling),
      ...present("expiresInSeconds", flags.expiresIn),
      ...present("grantExpiresAt", flags.grantExpiresAt),
      ...present("grantPriority", flags.grantPriority),
    }),
    (request) => Ledger.use((ledger) => ledger.recordPendingCredit(request)).pipe(Effect.map(creditWriteResult)),
    describeCreditWrite,
  )

export const activateCredit = (flags: Command.Command.Config.Infer<typeof activateCreditFlags>) =>
  run(
    flags,
    writeInput(
      ActivateCreditRequest,
      { ...flags, reference: Option.none() },
      { pendingCreditId: flags.pendingCreditId, ...present("idempotencyKey", flags.key) },
    ),
    (request) => Ledger.use((ledger) => ledger.activateCredit(request)).pipe(Effect.map(creditWriteResult)),
    describeCreditWrite,
  )

export const voidCredit = (flags: Command.Command.Config.Infer<typeof voidCreditFlags>) =>
  run(
    flags,
    validate(VoidCreditRequest)({
      accountId: flags.account,
      pendingCreditId: flags.pendingCreditId,
      ...present("idempotencyKey", flags.key),
    }),
    (request) => Ledger.use((ledger) => ledger.voidCredit(request)).pipe(Effect.map(creditWriteResult)),
    describeCreditWrite,
  )

export const pendingCredits = (flags: Command.Command.Config.Infer<typeof pendingCreditsFlags>) =>
  run(
    flags,
    validate(PendingCreditsRequest)({
      accountId: flags.account,
      ...present("status", flags.status),
      ...present("limit", flags.limit),
      ...present("cursor", flags.cursor),
    }),
    (request) => Ledger.use((ledger) => ledger.pendingCredits(request)),
    ({ pendingCredits, nextCursor }) =>
      [
        ...(pendingCredits.length === 0 ? ["no pending credits"] : pendingCredits.map(describeCredit)),
        ...(nextCursor === null ? [] : [`more: --cursor ${nextCursor}`]),
      ].join("\n"),
  )

export const expirePendingCredits = (flags: Command.Command.Config.Infer<typeof expirePendingCreditsFlags>) =>
  run(
    flags,
    noInput,
    () => Ledger.use((ledger) => ledger.expirePendingCredits),
    (result) => `expired ${result.expired} pending credits`,
  )
