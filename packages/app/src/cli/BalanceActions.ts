import { AccountId, Ledger, SettingsRequest, SpendRequest, TopUpRequest } from "@tally/domain/core"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { balanceFlags, settingsFlags, spendFlags, topUpFlags } from "./BalanceCommands.ts"
import { present, run, validate, writeInput } from "./CommandRun.ts"
import { describeWrite, writeResult } from "./WriteOutput.ts"

export const topUp = (flags: Command.Command.Config.Infer<typeof topUpFlags>) =>
  run(
    flags,
    writeInput(TopUpRequest, flags, {
      amount: flags.amount,
      ...present("ceiling", flags.ceiling),
      ...present("kind", flags.kind),
      ...present("expiresAt", flags.expiresAt),
      ...present("priority", flags.priority),
      ...present("member", flags.member),
      ...present("idempotencyKey", flags.key),
    }),
    (request) => Ledger.use((ledger) => ledger.topUp(request)).pipe(Effect.map(writeResult)),
    describeWrite,
  )

export const spend = (flags: Command.Command.Config.Infer<typeof spendFlags>) =>
  run(
    flags,
    writeInput(SpendRequest, flags, {
      amount: flags.amount,
      mode: flags.mode,
      ...present("member", flags.member),
      ...present("idempotencyKey", flags.key),
    }),
    (request) => Ledger.use((ledger) => ledger.spend(request)).pipe(Effect.map(writeResult)),
    describeWrite,
  )

export const balance = (flags: Command.Command.Config.Infer<typeof balanceFlags>) =>
  run(
    flags,
    validate(AccountId)(flags.account),
    (accountId) =>
      Ledger.use((ledger) => ledger.balances(accountId)).pipe(Effect.map((balances) => ({ accountId, ...balances }))),
    (result) =>
      [
        result.held === 0
          ? `${result.accountId}: ${result.balance} credits`
          : `${result.accountId}: ${result.balance} credits (${result.held} held, ${result.available} available)`,
        ...(result.expiresNext === null ? [] : [`${result.expiresNext.amount} expire at ${result.expiresNext.at}`]),
      ].join("; "),
  )

export const settings = (flags: Command.Command.Config.Infer<typeof settingsFlags>) =>
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
  )
