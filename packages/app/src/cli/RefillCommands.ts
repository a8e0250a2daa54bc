import {
  AccountId,
  ConfigureRefillRequest,
  InvalidRequest,
  Ledger,
  type RefillSchedule,
  type RefillStatus,
} from "@tally/domain"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { account, json, memory } from "./CommandFlags.ts"
import { noInput, present, run, validate } from "./CommandRun.ts"

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

export const refill = Command.make(
  "refill",
  {
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
  },
  (flags) => {
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
    const input = Option.match(flags.account, {
      onNone: () =>
        Effect.fail(new InvalidRequest({ message: "give an account, or --due to run the refills that are due" })),
      onSome: (accountId) => {
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
  },
).pipe(
  Command.withDescription(
    "Print, or with --amount and a schedule (--daily, --weekly D, --monthly D) set, an account's periodic refill; --due runs the refills that are due",
  ),
)
