import { AccountId, InvalidRequest, Ledger, type MemberLimitsStatus, SetMemberLimitsRequest } from "@tally/domain/core"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { run, validate } from "./CommandRun.ts"
import type { memberLimitsFlags } from "./WalletCommands.ts"

type SetMemberLimits = typeof SetMemberLimitsRequest.Encoded

/** `500/day` as a limit; the schema checks the credits and the period. */
const limitOf = (text: string) => {
  const [credits, period, ...rest] = text.split("/")
  if (credits === undefined || period === undefined || rest.length > 0 || !/^\d+$/.test(credits)) {
    return Effect.fail(new InvalidRequest({ message: `a limit is CREDITS/PERIOD (500/day), not ${text}` }))
  }
  return Effect.succeed({ credits: Number(credits), period: period as "day" })
}

/** `ana=200/day` as a member's limit. */
const memberLimitOf = (text: string) => {
  const at = text.indexOf("=")
  if (at < 1)
    return Effect.fail(new InvalidRequest({ message: `a member's limit is MEMBER=CREDITS/PERIOD, not ${text}` }))
  return Effect.map(limitOf(text.slice(at + 1)), (limit) => [text.slice(0, at), limit] as const)
}

const describe = (status: MemberLimitsStatus) => {
  const limit = (l: { readonly credits: number; readonly period: string }) => `${l.credits}/${l.period}`
  const members = Object.entries(status.members)
  if (status.default === null && members.length === 0) return `${status.accountId}: no member limits`
  return [
    `${status.accountId}: member limits${status.default === null ? "" : `, default ${limit(status.default)}`}`,
    ...members.map(([member, l]) => `  ${member}: ${limit(l)}`),
    ...status.usage.map(
      (u) =>
        `  ${u.member} used ${u.used} of ${limit(u.limit)} since ${u.periodStart}${u.held === 0 ? "" : ` (${u.held} held)`}, ${u.remaining} left`,
    ),
  ].join("\n")
}

export const memberLimits = (flags: Command.Command.Config.Infer<typeof memberLimitsFlags>) => {
  const setting = Option.isSome(flags.default) || flags.limit.length > 0
  const input: Effect.Effect<Option.Option<SetMemberLimits>, InvalidRequest> = flags.remove
    ? setting
      ? Effect.fail(new InvalidRequest({ message: "--remove takes no --default or --limit" }))
      : validate(AccountId)(flags.account).pipe(Effect.as(Option.none()))
    : !setting
      ? validate(AccountId)(flags.account).pipe(Effect.as(Option.none()))
      : Effect.gen(function* () {
          const members = Object.fromEntries(yield* Effect.forEach(flags.limit, memberLimitOf))
          const request: SetMemberLimits = {
            accountId: flags.account,
            ...(Option.isSome(flags.default) ? { default: yield* limitOf(flags.default.value) } : {}),
            members,
          }
          return Option.some(yield* validate(SetMemberLimitsRequest)(request))
        })
  return run(
    flags,
    input,
    (request) =>
      Ledger.use((ledger) =>
        Option.match(request, {
          onNone: () => (flags.remove ? ledger.removeMemberLimits(flags.account) : ledger.memberLimits(flags.account)),
          onSome: (set) => ledger.setMemberLimits(set),
        }),
      ),
    describe,
  )
}
