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
} from "@tally/domain"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { account, json, key, memory } from "./CommandFlags.ts"
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

export const autoTopUp = Command.make(
  "auto-top-up",
  {
    account,
    threshold: Flag.Int("threshold").pipe(
      Flag.withDescription("Ask for credits when a debit leaves the available balance below this"),
      Flag.optional,
    ),
    amount: Flag.Int("amount").pipe(Flag.withDescription("Credits to ask for"), Flag.optional),
    ceiling: Flag.Int("ceiling").pipe(
      Flag.withDescription("Never ask for more than lifts the balance to this"),
      Flag.optional,
    ),
    disabled: Flag.Boolean("disabled").pipe(
      Flag.withDescription("Keep the settings but ask for nothing"),
      Flag.withDefault(false),
    ),
    memory,
    json,
  },
  (flags) =>
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
    ),
).pipe(
  Command.withDescription(
    "Print, or with --threshold and --amount set, an account's auto top-up (the origin's auto_top_up)",
  ),
)

const requestId = Argument.Int("request-id").pipe(Argument.withDescription("The auto top-up request's id"))

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

export const autoTopUpRequest = Command.make("auto-top-up-request", { account, requestId, memory, json }, (flags) =>
  run(
    flags,
    validate(AutoTopUpRequestLookup)({ accountId: flags.account, requestId: flags.requestId }),
    (request) => Ledger.use((ledger) => ledger.getAutoTopUpRequest(request)),
    describeRequest,
  ),
).pipe(Command.withDescription("Print an auto top-up request as it stands"))

export const completeAutoTopUp = Command.make(
  "complete-auto-top-up",
  {
    account,
    requestId,
    paymentReference: Flag.String("payment-reference").pipe(
      Flag.withDescription("Your payment provider's id of the charge (the idempotency key)"),
    ),
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      validate(CompleteAutoTopUpRequest)({
        accountId: flags.account,
        requestId: flags.requestId,
        paymentReference: flags.paymentReference,
      }),
      (request) => Ledger.use((ledger) => ledger.completeAutoTopUp(request)),
      describeAutoTopUpPosting,
    ),
).pipe(Command.withDescription("The payment was taken: credit an auto top-up request in full"))

export const failAutoTopUp = Command.make(
  "fail-auto-top-up",
  {
    account,
    requestId,
    reason: Flag.String("reason").pipe(Flag.withDescription("Why the payment failed (required)")),
    key,
    memory,
    json,
  },
  (flags) =>
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
    ),
).pipe(Command.withDescription("The payment failed: credit nothing"))

export const expireAutoTopUps = Command.make("expire-auto-top-ups", { memory, json }, (flags) =>
  run(
    flags,
    noInput,
    () => Ledger.use((ledger) => ledger.expireAutoTopUps),
    (result) => `expired ${result.expired} auto top-up requests`,
  ),
).pipe(Command.withDescription("Expire every open auto top-up request past its deadline (the service does it too)"))
