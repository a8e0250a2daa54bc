import { AccountId, Ledger, SettingsRequest, SpendRequest, TopUpKind, TopUpRequest } from "@tally/domain"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { account, amount, json, memory, writeFlags } from "./CommandFlags.ts"
import { present, run, validate, writeInput } from "./CommandRun.ts"
import { describeWrite, writeResult } from "./WriteOutput.ts"

export const topUp = Command.make(
  "top-up",
  {
    account,
    amount,
    ceiling: Flag.Int("ceiling").pipe(
      Flag.withDescription("Reject at or above this balance, clamp a top-up that would pass it"),
      Flag.optional,
    ),
    kind: Flag.Literals("kind", TopUpKind.literals).pipe(
      Flag.withDescription("top-up, grant or reversal (credits given back; refunds are `tally refund`)"),
      Flag.optional,
    ),
    ...writeFlags,
  },
  (flags) =>
    run(
      flags,
      writeInput(TopUpRequest, flags, {
        amount: flags.amount,
        ...present("ceiling", flags.ceiling),
        ...present("kind", flags.kind),
        ...present("idempotencyKey", flags.key),
      }),
      (request) => Ledger.use((ledger) => ledger.topUp(request)).pipe(Effect.map(writeResult)),
      describeWrite,
    ),
).pipe(Command.withDescription("Add credits to an account"))

export const spend = Command.make(
  "spend",
  {
    account,
    amount,
    mode: Flag.Literals("mode", ["exact", "available"]).pipe(
      Flag.withDescription("exact: all or nothing; available: what the floor leaves"),
      Flag.withDefault("exact" as const),
    ),
    ...writeFlags,
  },
  (flags) =>
    run(
      flags,
      writeInput(SpendRequest, flags, {
        amount: flags.amount,
        mode: flags.mode,
        ...present("idempotencyKey", flags.key),
      }),
      (request) => Ledger.use((ledger) => ledger.spend(request)).pipe(Effect.map(writeResult)),
      describeWrite,
    ),
).pipe(Command.withDescription("Spend credits from an account as usage"))

export const balance = Command.make("balance", { account, memory, json }, (flags) =>
  run(
    flags,
    validate(AccountId)(flags.account),
    (accountId) =>
      Ledger.use((ledger) => ledger.balances(accountId)).pipe(Effect.map((balances) => ({ accountId, ...balances }))),
    (result) =>
      result.held === 0
        ? `${result.accountId}: ${result.balance} credits`
        : `${result.accountId}: ${result.balance} credits (${result.held} held, ${result.available} available)`,
  ),
).pipe(Command.withDescription("Print an account's balance, what its holds reserve, and what is available"))

export const settings = Command.make(
  "settings",
  {
    account,
    overdraftLimit: Flag.Int("overdraft-limit").pipe(
      Flag.withDescription("Let the balance go down to minus this many credits"),
      Flag.optional,
    ),
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      Option.match(flags.overdraftLimit, {
        onNone: () => validate(AccountId)(flags.account).pipe(Effect.map(Option.none<number>)),
        onSome: (overdraftLimit) =>
          validate(SettingsRequest)({ accountId: flags.account, overdraftLimit }).pipe(
            Effect.as(Option.some(overdraftLimit)),
          ),
      }),
      (overdraftLimit) =>
        Ledger.use((ledger) =>
          Option.match(overdraftLimit, {
            onNone: () => ledger.settings(flags.account),
            onSome: (limit) => ledger.updateSettings({ accountId: flags.account, overdraftLimit: limit }),
          }),
        ).pipe(Effect.map((result) => ({ accountId: flags.account, ...result }))),
      (result) => `${result.accountId}: overdraft limit ${result.overdraftLimit}`,
    ),
).pipe(Command.withDescription("Print, or with --overdraft-limit change, an account's settings"))
