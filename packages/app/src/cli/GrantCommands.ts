import { ExpireGrantsRequest, type Grant, GrantsRequest, type InvalidRequest, Ledger } from "@tally/domain"
import { Effect, Option, type Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"

/** What the grant commands take from the CLI's shared pieces: the runner that loads storage when first needed, and the common flags. */
export interface GrantCommandSupport {
  readonly run: <I, A, E>(
    flags: { readonly memory: boolean; readonly json: boolean },
    input: Effect.Effect<I, InvalidRequest>,
    execute: (input: I) => Effect.Effect<A, E, Ledger>,
    print: (result: A) => string,
  ) => Effect.Effect<void, unknown>
  readonly validate: <S extends Schema.Decoder<unknown>>(
    schema: S,
  ) => (input: S["Encoded"]) => Effect.Effect<S["Encoded"], InvalidRequest>
  readonly account: Argument.Argument<string>
  readonly memory: Flag.Flag<boolean>
  readonly json: Flag.Flag<boolean>
}

const describeGrant = (grant: Grant) =>
  [
    `grant ${grant.grantId}`,
    grant.status,
    `${grant.remaining} of ${grant.amount} left`,
    ...(grant.expired > 0 ? [`${grant.expired} expired`] : []),
    `priority ${grant.priority}`,
    grant.expiresAt === null ? "never expires" : `expires ${grant.expiresAt}`,
  ].join("  ")

/** `tally grants` and `tally expire-grants`. */
export const grantCommands = ({ run, validate, account, memory, json }: GrantCommandSupport) => {
  const grants = Command.make(
    "grants",
    {
      account,
      limit: Flag.Int("limit").pipe(Flag.withDescription("Grants per page"), Flag.optional),
      cursor: Flag.String("cursor").pipe(Flag.withDescription("The nextCursor of the previous page"), Flag.optional),
      memory,
      json,
    },
    (flags) =>
      run(
        flags,
        validate(GrantsRequest)({
          accountId: flags.account,
          ...Option.match(flags.limit, { onNone: () => ({}), onSome: (limit) => ({ limit }) }),
          ...Option.match(flags.cursor, { onNone: () => ({}), onSome: (cursor) => ({ cursor }) }),
        }),
        (request) =>
          Ledger.use((ledger) =>
            Effect.all([ledger.grants(request), ledger.grantsExpiringNext(request.accountId)]).pipe(
              Effect.map(([page, expiresNext]) => ({ accountId: request.accountId, ...page, expiresNext })),
            ),
          ),
        ({ grants, nextCursor, expiresNext }) =>
          [
            ...(grants.length === 0 ? ["no grants"] : grants.map(describeGrant)),
            ...(expiresNext === null ? [] : [`next to expire: ${expiresNext.amount} at ${expiresNext.at}`]),
            ...(nextCursor === null ? [] : [`more: --cursor ${nextCursor}`]),
          ].join("\n"),
      ),
  ).pipe(Command.withDescription("List an account's grants (live, spent and expired), newest first"))

  const expireGrants = Command.make(
    "expire-grants",
    {
      account: Argument.String("account").pipe(
        Argument.withDescription("Only this account (default: every account)"),
        Argument.optional,
      ),
      memory,
      json,
    },
    (flags) =>
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
      ),
  ).pipe(Command.withDescription("Expire what is due of grants (the service does it every second)"))

  return [grants, expireGrants] as const
}
