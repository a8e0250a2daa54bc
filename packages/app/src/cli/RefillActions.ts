import {
  AccountId,
  ConfigureRefillRequest,
  InvalidRequest,
  Ledger,
  type RefillSchedule,
  type RefillStatus,
} from "@tally/domain/core"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { noInput, present, run, validate } from "./CommandRun.ts"
import type { refillFlags } from "./RefillCommands.ts"

type ConfigureRefill = typeof ConfigureRefillRequest.Encoded

const describeRefill = (status: RefillStatus) => {
  if (status.schedule === null) return `${status.accountId}: no refill`
  const when =
    status.schedule.period === "daily"
      ? "daily"
      : status.schedule.period === "weekly"
        ? `weekly on ISO weekday ${status.schedule.weekday}`
        : `monthly on day ${status.schedule.dayOfMonth}`
  return [
    `${status.accountId}: refill ${status.enabled ? "on" : "off"}: ${status.amount} credits ${when}`,
    status.ceiling === null ? "" : ` up to ${status.ceiling}`,
    status.nextRefillAt === null ? "" : `; next ${status.nextRefillAt}`,
  ].join("")
}

export const refill = (flags: Command.Command.Config.Infer<typeof refillFlags>) => {
  if (flags.due) {
    return run(
      flags,
      Option.isSome(flags.account)
        ? Effect.fail(new InvalidRequest({ message: "--due runs every account's due refill: give no account" }))
        : noInput,
      () => Ledger.use((ledger) => ledger.runDueRefills),
      (result) => `refilled ${result.refilled} accounts; ${result.atCeiling} already at their ceiling`,
    )
  }
  const schedule: Option.Option<RefillSchedule> = flags.daily
    ? Option.some({ period: "daily" as const })
    : Option.isSome(flags.weekly)
      ? Option.some({ period: "weekly" as const, weekday: flags.weekly.value })
      : Option.map(flags.monthly, (dayOfMonth) => ({ period: "monthly" as const, dayOfMonth }))
  const setting = Option.isSome(flags.amount) || Option.isSome(schedule)
  const schedulesGiven = [flags.daily, Option.isSome(flags.weekly), Option.isSome(flags.monthly)].filter(Boolean).length
  const input = Option.match(flags.account, {
    onNone: () =>
      Effect.fail(new InvalidRequest({ message: "give an account, or --due to run the refills that are due" })),
    onSome: (accountId) => {
      if (!setting && (Option.isSome(flags.ceiling) || flags.disabled)) {
        const message = "--ceiling and --disabled set a refill together with --amount and its schedule"
        return Effect.fail(new InvalidRequest({ message }))
      }
      if (schedulesGiven > 1) {
        const message = "--daily, --weekly D and --monthly D are alternatives: give one"
        return Effect.fail(new InvalidRequest({ message }))
      }
      if (!setting) return validate(AccountId)(accountId).pipe(Effect.map(Option.none<ConfigureRefill>))
      if (Option.isNone(flags.amount) || Option.isNone(schedule)) {
        const message = "setting a refill takes --amount and one of --daily, --weekly D, --monthly D"
        return Effect.fail(new InvalidRequest({ message }))
      }
      return validate(ConfigureRefillRequest)({
        accountId,
        amount: flags.amount.value,
        ...present("ceiling", flags.ceiling),
        schedule: schedule.value,
        enabled: !flags.disabled,
      }).pipe(Effect.map(Option.some))
    },
  })
  return run(
    flags,
    input,
    (settings) =>
      Ledger.use((ledger) =>
        Option.match(settings, {
          onNone: () => ledger.refill(Option.getOrThrow(flags.account)),
          onSome: (request) => ledger.configureRefill(request),
        }),
      ),
    describeRefill,
  )
}
