import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { topUpKinds } from "../DomainChoices.ts"
import { runAction } from "./CommandAction.ts"
import { account, amount, json, member, memory, writeFlags } from "./CommandFlags.ts"
import { grantTermsFlags } from "./GrantCommands.ts"

const actions = () => import("./BalanceActions.ts")

export const topUpFlags = {
  account,
  amount,
  ceiling: Flag.Int("ceiling").pipe(
    Flag.withDescription("Reject at or above this balance, clamp a top-up that would pass it"),
    Flag.optional,
  ),
  kind: Flag.Literals("kind", topUpKinds).pipe(
    Flag.withDescription("top-up, grant or reversal (credits given back; refunds are `tally refund`)"),
    Flag.optional,
  ),
  ...grantTermsFlags,
  member,
  ...writeFlags,
}

export const topUp = Command.make("top-up", topUpFlags, (flags) =>
  runAction(actions, (action) => action.topUp(flags)),
).pipe(Command.withDescription("Add credits to an account"))

export const spendFlags = {
  account,
  amount,
  mode: Flag.Literals("mode", ["exact", "available"]).pipe(
    Flag.withDescription("exact: all or nothing; available: what the floor leaves"),
    Flag.withDefault("exact" as const),
  ),
  member,
  ...writeFlags,
}

export const spend = Command.make("spend", spendFlags, (flags) =>
  runAction(actions, (action) => action.spend(flags)),
).pipe(Command.withDescription("Spend credits from an account as usage"))

export const balanceFlags = { account, memory, json }

export const balance = Command.make("balance", balanceFlags, (flags) =>
  runAction(actions, (action) => action.balance(flags)),
).pipe(Command.withDescription("Print an account's balance, what its holds reserve, and what is available"))

export const settingsFlags = {
  account,
  overdraftLimit: Flag.Int("overdraft-limit").pipe(
    Flag.withDescription("Let the balance go down to minus this many credits"),
    Flag.optional,
  ),
  memory,
  json,
}

export const settings = Command.make("settings", settingsFlags, (flags) =>
  runAction(actions, (action) => action.settings(flags)),
).pipe(Command.withDescription("Print, or with --overdraft-limit change, an account's settings"))
