import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { runAction } from "./CommandAction.ts"
import { account, json, memory } from "./CommandFlags.ts"

const actions = () => import("./WalletActions.ts")

export const memberLimitsFlags = {
  account,
  default: Flag.String("default").pipe(
    Flag.withDescription("Every member's limit, CREDITS/PERIOD (period day, week or month, UTC): 500/day"),
    Flag.optional,
  ),
  limit: Flag.String("limit").pipe(
    Flag.withDescription("A member's own limit, MEMBER=CREDITS/PERIOD: ana=200/day (repeatable)"),
    Flag.atLeast(0),
  ),
  remove: Flag.Boolean("remove").pipe(
    Flag.withDescription("Remove the wallet's member limits"),
    Flag.withDefault(false),
  ),
  memory,
  json,
}

export const memberLimits = Command.make("member-limits", memberLimitsFlags, (flags) =>
  runAction(actions, (action) => action.memberLimits(flags)),
).pipe(
  Command.withDescription(
    "Print, or with --default and --limit set (replacing what it had), or --remove, an organization wallet's limits per member",
  ),
)
