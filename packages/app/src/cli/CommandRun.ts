import { InvalidRequest, invalidRequestOf, isReplayed, type Ledger, type Webhooks } from "@tally/domain/core"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { render } from "../ExitCode.ts"
import type * as Storage from "../Storage.ts"
import type { Database } from "../Storage.ts"

/** Flags as the ledger's plain input: absent options are left out, not undefined. */
export const present = <K extends string, A>(name: K, value: Option.Option<A>): { [P in K]?: A } =>
  Option.isSome(value) ? ({ [name]: value.value } as { [P in K]: A }) : {}

const parseMetadata = (
  text: Option.Option<string>,
): Effect.Effect<{ readonly metadata?: { readonly [key: string]: Schema.Json } }, InvalidRequest> =>
  Option.match(text, {
    onNone: () => Effect.succeed({}),
    onSome: (raw) =>
      Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.Record(Schema.String, Schema.Json)))(raw).pipe(
        Effect.map((value) => ({ metadata: value })),
        Effect.mapError(() => new InvalidRequest({ message: "--metadata must be a JSON object" })),
      ),
  })

/**
 * A write's flags checked with the ledger's schema: its own fields, and the account, reference and
 * `--metadata` every write takes.
 */
export const writeInput = <S extends Schema.Decoder<unknown>>(
  schema: S,
  flags: {
    readonly account: string
    readonly reference: Option.Option<string>
    readonly metadata: Option.Option<string>
  },
  fields: Omit<S["Encoded"], "accountId" | "reference" | "metadata">,
) =>
  Effect.flatMap(parseMetadata(flags.metadata), (metadata) =>
    validate(schema)({
      accountId: flags.account,
      ...fields,
      ...present("reference", flags.reference),
      ...metadata,
    } as S["Encoded"]),
  )

/** Checks a request with the ledger's own schema, so bad input fails before any database starts. */
export const validate =
  <S extends Schema.Decoder<unknown>>(schema: S) =>
  (input: S["Encoded"]): Effect.Effect<S["Encoded"], InvalidRequest> =>
    Schema.decodeUnknownEffect(schema)(input).pipe(Effect.as(input), Effect.mapError(invalidRequestOf))

/**
 * The storage (embedded PostgreSQL, the PostgreSQL driver, the adapters) loads when a command first
 * needs it, so `tally --version`, `--help` and input refused before any database starts do not pay for it.
 */
export const loadStorage: Effect.Effect<typeof Storage> = Effect.promise(() => import("../Storage.ts"))

export const storageLayer = (options: Parameters<typeof Storage.layer>[0]): ReturnType<typeof Storage.layer> =>
  Layer.unwrap(Effect.map(loadStorage, (storage) => storage.layer(options)))

/**
 * Runs a command: checks its input, then runs it on the selected storage and prints the result; a
 * failure is printed and sets the exit code.
 */
export const run = <I, A, E>(
  flags: { readonly memory: boolean; readonly json: boolean },
  input: Effect.Effect<I, InvalidRequest>,
  execute: (input: I) => Effect.Effect<A, E, Ledger | Database | Webhooks>,
  print: (result: A) => string,
) =>
  input.pipe(
    Effect.flatMap((checked) =>
      execute(checked).pipe(Effect.provide(storageLayer({ memory: flags.memory, role: "command" }))),
    ),
    Effect.flatMap((result) => Console.log(flags.json ? JSON.stringify(result, null, 2) : print(result))),
    Effect.catchCause((cause) => render(cause, flags.json, isReplayed(Cause.squash(cause)))),
  )

export const noInput = Effect.void
