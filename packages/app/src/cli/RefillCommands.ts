import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { runAction } from "./CommandAction.ts"
import { account, json, memory } from "./CommandFlags.ts"

const actions = () => import("./RefillActions.ts")

export const refillFlags = {
  account: account.pipe(Argument.optional),
  due: Flag.Boolean("due").pipe(
    Flag.withDescription("Run every refill that is due now (for a cron when no service runs)"),
    Flag.withDefault(false),
  ),
  amount: Flag.Int("amount").pipe(Flag.withDescription("Credits to grant each period"), Flag.optional),
  ceiling: Flag.Int("ceiling").pipe(
    Flag.withDescription("Grant no more than lifts the balance to this"),
    Flag.optional,
  ),
  daily: Flag.Boolean("daily").pipe(Flag.withDescription("Every day at midnight UTC"), Flag.withDefault(false)),
  weekly: Flag.Int("weekly").pipe(
    Flag.withDescription("Every week on this ISO weekday (1 Monday ... 7 Sunday)"),
    Flag.optional,
  ),
  monthly: Flag.Int("monthly").pipe(
    Flag.withDescription("Every month on this day (1-31; past a shorter month's end, its last day)"),
    Flag.optional,
  ),
  disabled: Flag.Boolean("disabled").pipe(
    Flag.withDescription("Keep the settings but grant nothing"),
    Flag.withDefault(false),
  ),
  memory,
  json,
}

export const refill = Command.make("refill", refillFlags, (flags) =>
  runAction(actions, (action) => action.refill(flags)),
).pipe(
  Command.withDescription(
    "Print, or with --amount and a schedule (--daily, --weekly D, --monthly D) set, an account's periodic refill; --due runs the refills that are due",
  ),
)
