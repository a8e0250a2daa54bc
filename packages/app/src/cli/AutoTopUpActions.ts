import {
  AccountId,
  type AutoTopUpPosting,
  type AutoTopUpRequest,
  AutoTopUpRequestLookup,
  type AutoTopUpStatus,
  CompleteAutoTopUpRequest,
  ConfigureAutoTopUpRequest,
  FailAutoTopUpRequest,
  InvalidRequest,
  Ledger,
} from "@tally/domain/core"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type {
  autoTopUpFlags,
  autoTopUpRequestFlags,
  completeAutoTopUpFlags,
  expireAutoTopUpsFlags,
  failAutoTopUpFlags,
} from "./AutoTopUpCommands.ts"
import { noInput, present, run, validate } from "./CommandRun.ts"

const describeAutoTopUp = (status: AutoTopUpStatus) =>
  status.threshold === null
    ? `${status.accountId}: no auto top-up`
    : [
        `${status.accountId}: auto top-up ${status.enabled ? "on" : "off"}: below ${status.threshold} available, ask for ${status.amount}`,
        status.ceiling === null ? "" : ` up to a balance of ${status.ceiling}`,
        status.consecutiveFailures === 0 ? "" : `; ${status.consecutiveFailures} failures in a row`,
        status.openRequestId === null ? "" : `; request ${status.openRequestId} open`,
      ].join("")

type ConfigureAutoTopUp = typeof ConfigureAutoTopUpRequest.Encoded

/** Without --threshold and --amount the command prints the settings; with both it sets them. */
const autoTopUpInput = (flags: {
  readonly account: string
  readonly threshold: Option.Option<number>
  readonly amount: Option.Option<number>
  readonly ceiling: Option.Option<number>
  readonly disabled: boolean
}): Effect.Effect<Option.Option<ConfigureAutoTopUp>, InvalidRequest> => {
  const { threshold, amount } = flags
  if (Option.isNone(threshold) && Option.isNone(amount)) {
    // A setting flag without the settings would otherwise print them, leaving the caller to think it was applied.
    if (Option.isSome(flags.ceiling) || flags.disabled) {
      const message = "--ceiling and --disabled set auto top-up together with --threshold and --amount"
      return Effect.fail(new InvalidRequest({ message }))
    }
    return validate(AccountId)(flags.account).pipe(Effect.map(Option.none<ConfigureAutoTopUp>))
  }
  if (Option.isNone(threshold) || Option.isNone(amount)) {
    return Effect.fail(new InvalidRequest({ message: "setting auto top-up takes both --threshold and --amount" }))
  }
  return validate(ConfigureAutoTopUpRequest)({
    accountId: flags.account,
    threshold: threshold.value,
    amount: amount.value,
    ...present("ceiling", flags.ceiling),
    enabled: !flags.disabled,
  }).pipe(Effect.map(Option.some))
}

export const autoTopUp = (flags: Command.Command.Config.Infer<typeof autoTopUpFlags>) =>
  run(
    flags,
    autoTopUpInput(flags),
    (settings) =>
      Ledger.use((ledger) =>
        Option.match(settings, {
          onNone: () => ledger.autoTopUp(flags.account),
          onSome: (request) => ledger.configureAutoTopUp(request),
        }),
      ),
    describeAutoTopUp,
  )

const describeRequest = (request: AutoTopUpRequest) =>
  [
    `auto top-up request ${request.requestId} on ${request.accountId}: ${request.status}, ${request.amount} credits`,
    request.amount === request.amountConfigured ? "" : ` (of ${request.amountConfigured}, clamped)`,
    request.status === "open" ? `, expires ${request.expiresAt}` : `, ${request.status} ${request.resolvedAt}`,
    request.paymentReference === null ? "" : `, payment ${request.paymentReference}`,
    request.entrySequence === null ? "" : ` (entry ${request.entrySequence})`,
    request.failureReason === null ? "" : `: ${request.failureReason}`,
  ].join("")

const describeAutoTopUpPosting = (posting: AutoTopUpPosting) =>
  [
    describeRequest(posting.request),
    posting.entry === null ? "" : `\nbalance ${posting.entry.balanceAfter}`,
    posting.replayed ? "\n(nothing changed: it was already so)" : "",
  ].join("")

export const autoTopUpRequest = (flags: Command.Command.Config.Infer<typeof autoTopUpRequestFlags>) =>
  run(
    flags,
    validate(AutoTopUpRequestLookup)({ accountId: flags.account, requestId: flags.requestId }),
    (request) => Ledger.use((ledger) => ledger.getAutoTopUpRequest(request)),
    describeRequest,
  )

export const completeAutoTopUp = (flags: Command.Command.Config.Infer<typeof completeAutoTopUpFlags>) =>
  run(
    flags,
    validate(CompleteAutoTopUpRequest)({
      accountId: flags.account,
      requestId: flags.requestId,
      paymentReference: flags.paymentReference,
      ...present("expiresAt", flags.expiresAt),
      ...present("priority", flags.priority),
    }),
    (request) => Ledger.use((ledger) => ledger.completeAutoTopUp(request)),
    describeAutoTopUpPosting,
  )

export const failAutoTopUp = (flags: Command.Command.Config.Infer<typeof failAutoTopUpFlags>) =>
  run(
    flags,
    validate(FailAutoTopUpRequest)({
      accountId: flags.account,
      requestId: flags.requestId,
      reason: flags.reason,
      ...present("idempotencyKey", flags.key),
    }),
    (request) => Ledger.use((ledger) => ledger.failAutoTopUp(request)),
    describeAutoTopUpPosting,
  )

export const expireAutoTopUps = (flags: Command.Command.Config.Infer<typeof expireAutoTopUpsFlags>) =>
  run(
    flags,
    noInput,
    () => Ledger.use((ledger) => ledger.expireAutoTopUps),
    (result) => `expired ${result.expired} auto top-up requests`,
  )
