import { ExpireGrantsRequest, type Grant, GrantsRequest, Ledger } from "@tally/domain/core"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { present, run, validate } from "./CommandRun.ts"
import type { expireGrantsFlags, grantsFlags } from "./GrantCommands.ts"

const describeGrant = (grant: Grant) =>
  [
    `grant ${grant.grantId}`,
    grant.status,
    `${grant.remaining} of ${grant.amount} left`,
    ...(grant.expired > 0 ? [`${grant.expired} expired`] : []),
    `priority ${grant.priority}`,
    grant.expiresAt === null ? "never expires" : `expires ${grant.expiresAt}`,
  ].join("  ")

export const grants = (flags: Command.Command.Config.Infer<typeof grantsFlags>) =>
  run(
    flags,
    validate(GrantsRequest)({
      accountId: flags.account,
      ...present("limit", flags.limit),
      ...present("cursor", flags.cursor),
    }),
    (request) =>
      Ledger.use((ledger) =>
        ledger.grantsListing(request).pipe(Effect.map((listing) => ({ accountId: request.accountId, ...listing }))),
      ),
    ({ grants, nextCursor, expiresNext }) =>
      [
        ...(grants.length === 0 ? ["no grants"] : grants.map(describeGrant)),
        ...(expiresNext === null ? [] : [`next to expire: ${expiresNext.amount} at ${expiresNext.at}`]),
        ...(nextCursor === null ? [] : [`more: --cursor ${nextCursor}`]),
      ].join("\n"),
  )

export const expireGrants = (flags: Command.Command.Config.Infer<typeof expireGrantsFlags>) =>
  run(
    flags,
    Option.match(flags.account, {
      onNone: () => Effect.succeed(Option.none<string>()),
      onSome: (accountId) => validate(ExpireGrantsRequest)({ accountId }).pipe(Effect.as(Option.some(accountId))),
    }),
    (only) =>
      Ledger.use((ledger) =>
        Option.match(only, {
          onNone: () => ledger.expireGrants,
          onSome: (accountId) => ledger.expireAccountGrants({ accountId }),
        }),
      ),
    ({ accounts, expired }) => `expired ${expired} credits on ${accounts} accounts`,
  )
