import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { runAction } from "./CommandAction.ts"
import { account, amount, holdId, json, member, memory, requiredKey, writeFlags } from "./CommandFlags.ts"

const actions = () => import("./HoldActions.ts")

export const holdFlags = {
  account,
  amount,
  mode: Flag.Literals("mode", ["exact", "available"]).pipe(
    Flag.withDescription("exact: all or nothing; available: what the floor leaves"),
    Flag.withDefault("exact" as const),
  ),
  expiresIn: Flag.Int("expires-in").pipe(
    Flag.withDescription("Seconds until the hold expires (it is then released, and cannot be captured)"),
    Flag.optional,
  ),
  member,
  ...writeFlags,
  key: requiredKey,
}

export const hold = Command.make("hold", holdFlags, (flags) => runAction(actions, (action) => action.hold(flags))).pipe(
  Command.withDescription("Reserve credits on an account until captured, released or expired"),
)

export const captureFlags = {
  account,
  holdId,
  amount: Argument.Int("amount").pipe(
    Argument.withDescription("Credits to capture (default: what the hold still reserves)"),
    Argument.optional,
  ),
  keepOpen: Flag.Boolean("keep-open").pipe(
    Flag.withDescription("Keep the hold open for more captures (default: release what is left)"),
    Flag.withDefault(false),
  ),
  allowDebt: Flag.Boolean("allow-debt").pipe(
    Flag.withDescription("Let a capture beyond the hold take the balance below its floor rather than fail"),
    Flag.withDefault(false),
  ),
  member,
  ...writeFlags,
  key: requiredKey,
}

export const capture = Command.make("capture", captureFlags, (flags) =>
  runAction(actions, (action) => action.capture(flags)),
).pipe(Command.withDescription("Settle part or all of a hold as usage"))

export const releaseFlags = { account, holdId, key: requiredKey, memory, json }

export const release = Command.make("release", releaseFlags, (flags) =>
  runAction(actions, (action) => action.release(flags)),
).pipe(Command.withDescription("Free what a hold still reserves"))

export const getHoldFlags = { account, holdId, memory, json }

export const getHold = Command.make("get-hold", getHoldFlags, (flags) =>
  runAction(actions, (action) => action.getHold(flags)),
).pipe(Command.withDescription("Print a hold as it stands"))

export const expireHoldsFlags = { memory, json }

export const expireHolds = Command.make("expire-holds", expireHoldsFlags, (flags) =>
  runAction(actions, (action) => action.expireHolds(flags)),
).pipe(Command.withDescription("Release every hold whose deadline has passed (the service does it every second)"))
