import * as V8 from "node:v8"
import {
  AccountId,
  EntriesRequest,
  type Entry,
  InvalidRequest,
  Ledger,
  type Posting,
  SettingsRequest,
  SpendRequest,
  TopUpRequest,
} from "@tally/domain"
import { Console, Effect, Layer, Option, References, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { HttpServer } from "effect/http"
import { serverSettings } from "./AppConfig.ts"
import { ExitCode, render } from "./ExitCode.ts"
import type * as TallyHttp from "./HttpServer.ts"
import * as Logging from "./Logging.ts"
import * as Storage from "./Storage.ts"
import { Database } from "./Storage.ts"

/**
 * The `tally` command line. Every command selects its storage like the service (`--memory`,
 * DATABASE_URL, else the embedded PostgreSQL in TALLY_DATA_DIR), prints for people by default and
 * JSON with `--json`, and exits 0 on success, 2 on bad input, 3 on a rule rejection (see ExitCode).
 */

const memory = Flag.Boolean("memory").pipe(
  Flag.withDescription("Keep the ledger in process memory (lost on exit), like TALLY_STORAGE=memory"),
  Flag.withDefault(false),
)

const json = Flag.Boolean("json").pipe(Flag.withDescription("Print JSON for scripts"), Flag.withDefault(false))

const account = Argument.String("account").pipe(Argument.withDescription("The account id"))

const amount = Argument.Int("amount").pipe(Argument.withDescription("Credits, a positive integer"))

const key = Flag.String("key").pipe(
  Flag.withDescription("Idempotency key: a retry with the same key applies at most once"),
  Flag.optional,
)

const metadata = Flag.String("metadata").pipe(Flag.withDescription("JSON object stored with the entry"), Flag.optional)

/** Flags as the ledger's plain input: absent options are left out, not undefined. */
const present = <K extends string, A>(name: K, value: Option.Option<A>): { [P in K]?: A } =>
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

/** Checks a request with the ledger's own schema, so bad input fails before any database starts. */
const validate =
  <S extends Schema.Decoder<unknown>>(schema: S) =>
  (input: S["Encoded"]): Effect.Effect<S["Encoded"], InvalidRequest> =>
    Schema.decodeUnknownEffect(schema)(input).pipe(
      Effect.as(input),
      Effect.mapError((error) => new InvalidRequest({ message: error.message })),
    )

/**
 * Runs a command: checks its input, then runs it on the selected storage and prints the result; a
 * failure is printed and sets the exit code.
 */
const run = <I, A, E>(
  flags: { readonly memory: boolean; readonly json: boolean },
  input: Effect.Effect<I, InvalidRequest>,
  execute: (input: I) => Effect.Effect<A, E, Ledger | Database>,
  print: (result: A) => string,
) =>
  input.pipe(
    Effect.flatMap((checked) =>
      execute(checked).pipe(Effect.provide(Storage.layer({ memory: flags.memory, role: "command" }))),
    ),
    Effect.flatMap((result) => Console.log(flags.json ? JSON.stringify(result, null, 2) : print(result))),
    Effect.catchCause((cause) => render(cause, flags.json)),
  )

const noInput = Effect.void

const signed = (n: number) => (n > 0 ? `+${n}` : `${n}`)

const describeWrite = (posting: Posting) => {
  const { entry } = posting
  const how =
    entry.decision === "Applied"
      ? `${entry.decision}: ${signed(entry.amount)} credits`
      : `${entry.decision}: ${signed(entry.amount)} of ${signed(entry.requested)} requested`
  const replay = posting.replayed ? ` (replay of idempotency key ${entry.idempotencyKey}: nothing changed)` : ""
  return `${how} on ${entry.accountId}, balance ${entry.balanceAfter} (entry ${entry.sequence})${replay}`
}

const writeResult = (posting: Posting) => ({
  entry: posting.entry,
  balance: posting.entry.balanceAfter,
  replayed: posting.replayed,
})

export const topUp = Command.make(
  "top-up",
  {
    account,
    amount,
    ceiling: Flag.Int("ceiling").pipe(
      Flag.withDescription("Reject at or above this balance, clamp a top-up that would pass it"),
      Flag.optional,
    ),
    kind: Flag.Literals("kind", ["top-up", "grant", "refund", "adjustment"]).pipe(Flag.optional),
    key,
    metadata,
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      parseMetadata(flags.metadata).pipe(
        Effect.flatMap((metadata) =>
          validate(TopUpRequest)({
            accountId: flags.account,
            amount: flags.amount,
            ...present("ceiling", flags.ceiling),
            ...present("kind", flags.kind),
            ...present("idempotencyKey", flags.key),
            ...metadata,
          }),
        ),
      ),
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
    key,
    metadata,
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      parseMetadata(flags.metadata).pipe(
        Effect.flatMap((metadata) =>
          validate(SpendRequest)({
            accountId: flags.account,
            amount: flags.amount,
            mode: flags.mode,
            ...present("idempotencyKey", flags.key),
            ...metadata,
          }),
        ),
      ),
      (request) => Ledger.use((ledger) => ledger.spend(request)).pipe(Effect.map(writeResult)),
      describeWrite,
    ),
).pipe(Command.withDescription("Spend credits from an account as usage"))

export const balance = Command.make("balance", { account, memory, json }, (flags) =>
  run(
    flags,
    validate(AccountId)(flags.account),
    (accountId) =>
      Ledger.use((ledger) => ledger.balance(accountId)).pipe(Effect.map((balance) => ({ accountId, balance }))),
    (result) => `${result.accountId}: ${result.balance} credits`,
  ),
).pipe(Command.withDescription("Print an account's balance"))

const describeEntry = (entry: Entry) =>
  [
    `#${entry.sequence}`,
    entry.createdAt,
    entry.kind,
    entry.decision,
    signed(entry.amount),
    entry.decision === "Clamped" ? `(requested ${signed(entry.requested)})` : "",
    `balance ${entry.balanceAfter}`,
    entry.idempotencyKey === null ? "" : `key ${entry.idempotencyKey}`,
  ]
    .filter((part) => part !== "")
    .join("  ")

export const entries = Command.make(
  "entries",
  {
    account,
    limit: Flag.Int("limit").pipe(Flag.withDescription("Entries per page"), Flag.optional),
    cursor: Flag.String("cursor").pipe(Flag.withDescription("Continue after a page (its nextCursor)"), Flag.optional),
    kind: Flag.Literals("kind", ["top-up", "grant", "refund", "adjustment", "usage"]).pipe(Flag.optional),
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      validate(EntriesRequest)({
        accountId: flags.account,
        ...present("limit", flags.limit),
        ...present("cursor", flags.cursor),
        ...present("kind", flags.kind),
      }),
      (request) => Ledger.use((ledger) => ledger.entries(request)),
      (page) =>
        [
          ...(page.entries.length === 0 ? [`${flags.account}: no entries`] : page.entries.map(describeEntry)),
          ...(page.nextCursor === null ? [] : [`more: --cursor ${page.nextCursor}`]),
        ].join("\n"),
    ),
).pipe(Command.withDescription("List an account's entries, newest first"))

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

export const audit = Command.make("audit", { memory, json }, (flags) =>
  run(
    flags,
    noInput,
    () =>
      Ledger.use((ledger) => ledger.audit).pipe(
        Effect.tap((report) =>
          Effect.sync(() => {
            if (report.violations.length > 0) process.exitCode = ExitCode.auditViolations
          }),
        ),
      ),
    (report) =>
      [
        `audited ${report.accountsChecked} accounts and ${report.entriesChecked} entries: ${
          report.violations.length === 0 ? "no violations" : `${report.violations.length} violations`
        }`,
        ...report.violations.map(
          (v) => `  ${v.accountId}${v.sequence === null ? "" : ` entry ${v.sequence}`}: ${v.problem}`,
        ),
      ].join("\n"),
  ),
).pipe(Command.withDescription("Recompute every account's running balances and report violations"))

export const migrate = Command.make("migrate", { memory, json }, (flags) =>
  run(
    flags,
    noInput,
    () =>
      Database.useSync((database) => ({
        storage: database.storage,
        location: database.location,
        migrationsApplied: database.migrationsApplied,
      })),
    (result) =>
      result.migrationsApplied.length === 0
        ? `${result.location}: schema up to date`
        : `${result.location}: applied ${result.migrationsApplied.join(", ")}`,
  ),
).pipe(Command.withDescription("Bring the database schema up to date (every command also does)"))

/** Set when `serve` runs, so a shutdown by signal exits 0. */
export const serving = { value: false }

/**
 * By default V8 lets its heap grow to several times what is live before it collects the old
 * generation, and a busy service's requests leave a lot behind (at 64 connections on PostgreSQL the
 * heap swung between 60 and 175 MB). The service collects once the heap has grown this much past
 * what the last collection kept: peak RSS 245 -> 150 MB, CPU per request within the noise.
 */
const heapGrowthPercentMax = 20

export const serve = Command.make(
  "serve",
  {
    memory,
    port: Flag.Int("port").pipe(Flag.withDescription("Port to listen on (default PORT, else 3000)"), Flag.optional),
    host: Flag.String("host").pipe(
      Flag.withDescription("Address to listen on (default TALLY_HOST, else 127.0.0.1)"),
      Flag.optional,
    ),
  },
  (flags) =>
    Effect.gen(function* () {
      // Loaded here, so the other commands start without the HTTP stack.
      const Http: typeof TallyHttp = yield* Effect.promise(() => import("./HttpServer.ts"))
      const configured = yield* serverSettings
      const settings = {
        ...configured,
        port: Option.getOrElse(flags.port, () => configured.port),
        host: Option.getOrElse(flags.host, () => configured.host),
      }
      yield* Http.checkListen(settings)
      V8.setFlagsFromString(`--heap-growing-percent=${heapGrowthPercentMax}`)
      serving.value = true
      const banner = Layer.effectDiscard(
        Effect.gen(function* () {
          const server = yield* HttpServer.HttpServer
          const database = yield* Database
          const url = HttpServer.formatAddress(server.address)
          yield* Console.log(bannerText(url, database, Option.isSome(settings.apiToken)))
          yield* Effect.logInfo("listening").pipe(Effect.annotateLogs({ url, storage: database.storage }))
          // Built last, released first: the log line that opens the shutdown.
          yield* Effect.addFinalizer(() => Effect.logInfo("shutting down: no new requests, finishing those in flight"))
        }),
      )
      yield* Layer.launch(
        banner.pipe(
          Layer.provideMerge(Http.layer(settings)),
          Layer.provideMerge(Storage.layer({ memory: flags.memory, role: "serve" })),
        ),
      ).pipe(Effect.ensuring(Effect.logInfo("stopped")))
    }).pipe(
      // The service exports no traces: without a tracer, spans would be built per request for nobody.
      Effect.provideService(References.TracerEnabled, false),
      Effect.provide(Logging.serviceLayer),
      Effect.catchCause((cause) => render(cause, false)),
    ),
).pipe(Command.withDescription("Run the HTTP service (Ctrl-C stops it cleanly)"))

const bannerText = (url: string, database: Storage.DatabaseShape, withToken: boolean) => {
  const auth = withToken ? ` -H "Authorization: Bearer $TALLY_API_TOKEN"` : ""
  return [
    `Tally is listening on ${url} (storage: ${database.location})`,
    `  API docs ${url}/docs   OpenAPI ${url}/openapi.json   health ${url}/health`,
    "Try:",
    `  curl -s -X POST ${url}/v1/accounts/alice/top-ups${auth} -H 'content-type: application/json' -d '{"amount": 1000, "ceiling": 5000}'`,
    `  curl -s ${url}/v1/accounts/alice/balance${auth}`,
  ].join("\n")
}

export const tally = Command.make("tally").pipe(
  Command.withDescription(
    "Tally, a credit ledger. Exit codes: 0 success, 1 failure (storage unavailable, unexpected), 2 bad input, 3 rule rejection, 4 audit found violations.",
  ),
  Command.withSubcommands([serve, topUp, spend, balance, entries, settings, audit, migrate]),
)
