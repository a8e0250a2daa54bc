import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { runAction } from "./CommandAction.ts"
import { account, json, key, memory } from "./CommandFlags.ts"
import { grantTermsFlags } from "./GrantCommands.ts"

const actions = () => import("./AutoTopUpActions.ts")

export const autoTopUpFlags = {
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
}

export const autoTopUp = Command.make("auto-top-up", autoTopUpFlags, (flags) =>
  runAction(actions, (action) => action.autoTopUp(flags)),
).pipe(
  Command.withDescription(
    "Print, or with --threshold and --amount set, an account's auto top-up (the origin's auto_top_up)",
  ),
)

const requestId = Argument.Int("request-id").pipe(Argument.withDescription("The auto top-up request's id"))

export const autoTopUpRequestFlags = { account, requestId, memory, json }

export const autoTopUpRequest = Command.make("auto-top-up-request", autoTopUpRequestFlags, (flags) =>
  runAction(actions, (action) => action.autoTopUpRequest(flags)),
).pipe(Command.withDescription("Print an auto top-up request as it stands"))

export const completeAutoTopUpFlags = {
  account,
  requestId,
  paymentReference: Flag.String("payment-reference").pipe(
    Flag.withDescription("Your payment provider's id of the charge (the idempotency key)"),
  ),
  ...grantTermsFlags,
  memory,
  json,
}

export const completeAutoTopUp = Command.make("complete-auto-top-up", completeAutoTopUpFlags, (flags) =>
  runAction(actions, (action) => action.completeAutoTopUp(flags)),
).pipe(Command.withDescription("The payment was taken: credit an auto top-up request in full"))

export const failAutoTopUpFlags = {
  account,
  requestId,
  reason: Flag.String("reason").pipe(Flag.withDescription("Why the payment failed (required)")),
  key,
  memory,
  json,
}

export const failAutoTopUp = Command.make("fail-auto-top-up", failAutoTopUpFlags, (flags) =>
  runAction(actions, (action) => action.failAutoTopUp(flags)),
).pipe(Command.withDescription("The payment failed: credit nothing"))

export const expireAutoTopUpsFlags = { memory, json }

export const expireAutoTopUps = Command.make("expire-auto-top-ups", expireAutoTopUpsFlags, (flags) =>
  runAction(actions, (action) => action.expireAutoTopUps(flags)),
).pipe(Command.withDescription("Expire every open auto top-up request past its deadline (the service does it too)"))
