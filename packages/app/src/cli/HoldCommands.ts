import {
  CaptureRequest,
  type Hold,
  HoldLookup,
  type HoldPosting,
  HoldRequest,
  Ledger,
  ReleaseRequest,
} from "@tally/domain"
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { account, amount, holdId, json, memory, requiredKey, writeFlags } from "./CommandFlags.ts"
import { noInput, present, run, validate, writeInput } from "./CommandRun.ts"

const describeHold = (hold: Hold) =>
  [
    `hold ${hold.holdId} on ${hold.accountId}: ${hold.status}`,
    `${hold.amount} reserved${hold.amount === hold.requested ? "" : ` of ${hold.requested} requested`}`,
    `${hold.captured} captured${hold.excess === 0 ? "" : ` (+${hold.excess} beyond the hold)`}`,
    hold.expiresAt === null ? "" : `expires ${hold.expiresAt}`,
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

export const hold = Command.make(
  "hold",
  {
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
    ...writeFlags,
    key: requiredKey,
  },
  (flags) =>
    run(
      flags,
      writeInput(HoldRequest, flags, {
        amount: flags.amount,
        mode: flags.mode,
        idempotencyKey: flags.key,
        ...present("expiresInSeconds", flags.expiresIn),
      }),
      (request) => Ledger.use((ledger) => ledger.hold(request)).pipe(Effect.map(holdWriteResult)),
      describeHoldWrite,
    ),
).pipe(Command.withDescription("Reserve credits on an account until captured, released or expired"))

export const capture = Command.make(
  "capture",
  {
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
    ...writeFlags,
    key: requiredKey,
  },
  (flags) =>
    run(
      flags,
      writeInput(CaptureRequest, flags, {
        holdId: flags.holdId,
        final: !flags.keepOpen,
        allowDebt: flags.allowDebt,
        idempotencyKey: flags.key,
        ...present("amount", flags.amount),
      }),
      (request) => Ledger.use((ledger) => ledger.capture(request)).pipe(Effect.map(holdWriteResult)),
      describeHoldWrite,
    ),
).pipe(Command.withDescription("Settle part or all of a hold as usage"))

export const release = Command.make("release", { account, holdId, key: requiredKey, memory, json }, (flags) =>
  run(
    flags,
    validate(ReleaseRequest)({ accountId: flags.account, holdId: flags.holdId, idempotencyKey: flags.key }),
    (request) => Ledger.use((ledger) => ledger.release(request)).pipe(Effect.map(holdWriteResult)),
    describeHoldWrite,
  ),
).pipe(Command.withDescription("Free what a hold still reserves"))

export const getHold = Command.make("get-hold", { account, holdId, memory, json }, (flags) =>
  run(
    flags,
    validate(HoldLookup)({ accountId: flags.account, holdId: flags.holdId }),
    (request) => Ledger.use((ledger) => ledger.getHold(request)),
    describeHold,
  ),
).pipe(Command.withDescription("Print a hold as it stands"))

export const expireHolds = Command.make("expire-holds", { memory, json }, (flags) =>
  run(
    flags,
    noInput,
    () => Ledger.use((ledger) => ledger.expireHolds),
    (result) => `expired ${result.expired} holds`,
  ),
).pipe(Command.withDescription("Release every hold whose deadline has passed (the service does it every second)"))
