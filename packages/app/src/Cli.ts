import * as V8 from "node:v8"
import {
  AccountId,
  AdjustmentRequest,
  type AutoTopUpPosting,
  type AutoTopUpRequest,
  AutoTopUpRequestLookup,
  type AutoTopUpStatus,
  CaptureRequest,
  CompleteAutoTopUpRequest,
  ConfigureAutoTopUpRequest,
  ConfigureRefillRequest,
  DeliveriesRequest,
  EntriesRequest,
  type Entry,
  EntryKind,
  EventsRequest,
  ExportFormat,
  ExportRequest,
  exportText,
  FailAutoTopUpRequest,
  type Hold,
  HoldLookup,
  type HoldPosting,
  HoldRequest,
  InvalidRequest,
  Ledger,
  type LedgerEvent,
  type Posting,
  type RefillSchedule,
  type RefillStatus,
  RefundRequest,
  ReleaseRequest,
  SearchRequest,
  SettingsRequest,
  SpendRequest,
  TopUpKind,
  TopUpRequest,
  TotalsRequest,
  type WebhookDelivery,
  WebhookEndpointRequest,
  Webhooks,
} from "@tally/domain"
import { Console, Effect, Layer, Option, References, Schema, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { HttpServer } from "effect/http"
import { serverSettings, webhookSettings } from "./AppConfig.ts"
import * as AutoTopUpExpirySweep from "./AutoTopUpExpirySweep.ts"
import { grantCommands } from "./cli/GrantCommands.ts"
import { ExitCode, render } from "./ExitCode.ts"
import * as GrantExpirySweep from "./GrantExpirySweep.ts"
import * as HoldExpirySweep from "./HoldExpirySweep.ts"
import type * as TallyHttp from "./HttpServer.ts"
import * as Logging from "./Logging.ts"
import * as RefillSweep from "./RefillSweep.ts"
import type * as Storage from "./Storage.ts"
import type { Database } from "./Storage.ts"
import type * as Dispatcher from "./WebhookDispatcher.ts"

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

const reference = Flag.String("reference").pipe(
  Flag.withDescription("Your reference for the write (a run id, an order id), to filter history by"),
  Flag.optional,
)

/** Hold operations require a key: a hold's id is known only from the answer. */
const requiredKey = Flag.String("key").pipe(
  Flag.withDescription("Idempotency key (required): a retry with the same key applies at most once"),
)

/** What every write takes beside its own flags: its key, reference and metadata, and how to run and print. */
const writeFlags = { key, reference, metadata, memory, json }

const holdId = Argument.Int("hold-id").pipe(Argument.withDescription("The hold's id, as `hold` printed it"))

const historyFilters = {
  kind: Flag.Literals("kind", EntryKind.literals).pipe(Flag.optional),
  from: Flag.String("from").pipe(Flag.withDescription("From this time on (ISO-8601, included)"), Flag.optional),
  to: Flag.String("to").pipe(Flag.withDescription("Before this time (ISO-8601, excluded)"), Flag.optional),
  reference,
}

const filtersOf = (flags: {
  readonly kind: Option.Option<EntryKind>
  readonly from: Option.Option<string>
  readonly to: Option.Option<string>
  readonly reference: Option.Option<string>
}) => ({
  ...present("kind", flags.kind),
  ...present("from", flags.from),
  ...present("to", flags.to),
  ...present("reference", flags.reference),
})

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

/**
 * A write's flags checked with the ledger's schema: its own fields, and the account, reference and
 * `--metadata` every write takes.
 */
const writeInput = <S extends Schema.Decoder<unknown>>(
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
const validate =
  <S extends Schema.Decoder<unknown>>(schema: S) =>
  (input: S["Encoded"]): Effect.Effect<S["Encoded"], InvalidRequest> =>
    Schema.decodeUnknownEffect(schema)(input).pipe(
      Effect.as(input),
      Effect.mapError((error) => new InvalidRequest({ message: error.message })),
    )

/**
 * The storage (embedded PostgreSQL, the PostgreSQL driver, the adapters) loads when a command first
 * needs it, so `tally --version`, `--help` and input refused before any database starts do not pay for it.
 */
const loadStorage: Effect.Effect<typeof Storage> = Effect.promise(() => import("./Storage.ts"))

const storageLayer = (options: Parameters<typeof Storage.layer>[0]) =>
  Layer.unwrap(Effect.map(loadStorage, (storage) => storage.layer(options)))

/**
 * Runs a command: checks its input, then runs it on the selected storage and prints the result; a
 * failure is printed and sets the exit code.
 */
const run = <I, A, E>(
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
    Effect.catchCause((cause) => render(cause, flags.json)),
  )

const noInput = Effect.void

const signed = (n: number | bigint) => (n > 0 ? `+${n}` : `${n}`)

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
    kind: Flag.Literals("kind", TopUpKind.literals).pipe(
      Flag.withDescription("top-up, grant or reversal (credits given back; refunds are `tally refund`)"),
      Flag.optional,
    ),
    expiresAt: Flag.String("expires-at").pipe(
      Flag.withDescription("Make the credits a grant that expires then (ISO-8601 with an offset)"),
      Flag.optional,
    ),
    priority: Flag.Int("priority").pipe(
      Flag.withDescription("Make the credits a grant drawn in this order, 0 to 9, lower first (default 5)"),
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
        ...present("expiresAt", flags.expiresAt),
        ...present("priority", flags.priority),
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

const describeEntry = (entry: Entry) =>
  [
    `#${entry.sequence}`,
    entry.createdAt,
    entry.kind,
    entry.decision,
    signed(entry.amount),
    entry.decision === "Clamped" ? `(requested ${signed(entry.requested)})` : "",
    `balance ${entry.balanceAfter}`,
    entry.holdId === null ? "" : `hold ${entry.holdId}`,
    entry.refundOf === null ? "" : `refund of #${entry.refundOf}`,
    entry.overdrawn ? "overdrawn" : "",
    entry.reason === null ? "" : `reason ${JSON.stringify(entry.reason)}`,
    entry.actor === null ? "" : `by ${entry.actor}`,
    entry.reference === null ? "" : `ref ${entry.reference}`,
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
    ...historyFilters,
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
        ...filtersOf(flags),
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
      Effect.flatMap(loadStorage, (storage) =>
        storage.Database.useSync((database) => ({
          storage: database.storage,
          location: database.location,
          migrationsApplied: database.migrationsApplied,
        })),
      ),
    (result) =>
      result.migrationsApplied.length === 0
        ? `${result.location}: schema up to date`
        : `${result.location}: applied ${result.migrationsApplied.join(", ")}`,
  ),
).pipe(Command.withDescription("Bring the database schema up to date (every command also does)"))

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

export const refund = Command.make(
  "refund",
  {
    account,
    sequence: Argument.Int("sequence").pipe(Argument.withDescription("The entry to refund, by its sequence")),
    amount: Argument.Int("amount").pipe(
      Argument.withDescription("Credits to refund (default: all that is left to refund of the entry)"),
      Argument.optional,
    ),
    reason: Flag.String("reason").pipe(Flag.optional),
    ...writeFlags,
  },
  (flags) =>
    run(
      flags,
      writeInput(RefundRequest, flags, {
        sequence: flags.sequence,
        ...present("amount", flags.amount),
        ...present("reason", flags.reason),
        ...present("idempotencyKey", flags.key),
      }),
      (request) => Ledger.use((ledger) => ledger.refund(request)).pipe(Effect.map(writeResult)),
      describeWrite,
    ),
).pipe(Command.withDescription("Refund an earlier entry: a debit linked to it, which may leave the account in debt"))

export const adjust = Command.make(
  "adjust",
  {
    account,
    amount: Argument.Int("amount").pipe(Argument.withDescription("Credits to add (or with --remove, to remove)")),
    remove: Flag.Boolean("remove").pipe(Flag.withDescription("Remove the credits instead"), Flag.withDefault(false)),
    reason: Flag.String("reason").pipe(Flag.withDescription("Why (required)")),
    actor: Flag.String("actor").pipe(Flag.withDescription("Who makes the adjustment (required)")),
    force: Flag.Boolean("force").pipe(
      Flag.withDescription("Let a removal take the balance below its floor"),
      Flag.withDefault(false),
    ),
    ...writeFlags,
  },
  (flags) =>
    run(
      flags,
      writeInput(AdjustmentRequest, flags, {
        amount: flags.remove ? -flags.amount : flags.amount,
        reason: flags.reason,
        actor: flags.actor,
        force: flags.force,
        ...present("idempotencyKey", flags.key),
      }),
      (request) => Ledger.use((ledger) => ledger.adjust(request)).pipe(Effect.map(writeResult)),
      describeWrite,
    ),
).pipe(Command.withDescription("Add or remove credits with a reason and an actor"))

export const totals = Command.make(
  "totals",
  { account, from: historyFilters.from, to: historyFilters.to, reference, memory, json },
  (flags) =>
    run(
      flags,
      validate(TotalsRequest)({
        accountId: flags.account,
        ...present("from", flags.from),
        ...present("to", flags.to),
        ...present("reference", flags.reference),
      }),
      (request) =>
        Ledger.use((ledger) => ledger.totals(request)).pipe(
          // As the HTTP API answers it: a sum can pass what a JSON number carries exactly.
          Effect.map((totals) => ({
            accountId: flags.account,
            totals: totals.map((total) => ({ ...total, amount: String(total.amount) })),
          })),
        ),
      (result) =>
        result.totals.length === 0
          ? `${result.accountId}: no entries`
          : result.totals.map((t) => `${t.kind}: ${t.entries} entries, ${signed(BigInt(t.amount))} credits`).join("\n"),
    ),
).pipe(Command.withDescription("Count and sum an account's entries per kind"))

const accountFilter = Flag.String("account").pipe(Flag.withDescription("Only this account"), Flag.optional)

export const search = Command.make(
  "search",
  {
    account: accountFilter,
    limit: Flag.Int("limit").pipe(Flag.withDescription("Entries per page"), Flag.optional),
    cursor: Flag.String("cursor").pipe(Flag.withDescription("Continue after a page (its nextCursor)"), Flag.optional),
    ...historyFilters,
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      validate(SearchRequest)({
        ...present("accountId", flags.account),
        ...present("limit", flags.limit),
        ...present("cursor", flags.cursor),
        ...filtersOf(flags),
      }),
      (request) => Ledger.use((ledger) => ledger.search(request)),
      (page) =>
        [
          ...(page.entries.length === 0
            ? ["no entries"]
            : page.entries.map((entry) => `${entry.accountId}  ${describeEntry(entry)}`)),
          ...(page.nextCursor === null ? [] : [`more: --cursor ${page.nextCursor}`]),
        ].join("\n"),
    ),
).pipe(Command.withDescription("Entries across accounts, newest first (for operators)"))

export const exportEntries = Command.make(
  "export",
  {
    format: Flag.Literals("format", ExportFormat.literals).pipe(Flag.withDefault("csv" as const)),
    account: accountFilter,
    ...historyFilters,
    memory,
  },
  (flags) =>
    validate(ExportRequest)({ ...present("accountId", flags.account), ...filtersOf(flags) }).pipe(
      Effect.flatMap((request) =>
        Ledger.use((ledger) => ledger.exportEntries(request)).pipe(
          Effect.flatMap((entries) =>
            Stream.runForEach(exportText(flags.format, entries), (text) =>
              Effect.callback<void>((resume) => {
                // Waits for stdout to take each chunk, so a slow reader slows the export instead of filling memory.
                process.stdout.write(text, () => resume(Effect.void))
              }),
            ),
          ),
          Effect.provide(storageLayer({ memory: flags.memory, role: "command" })),
        ),
      ),
      Effect.catchCause((cause) => render(cause, false)),
    ),
).pipe(Command.withDescription("Write every matching entry, oldest first, as CSV or NDJSON to stdout"))

const describeAutoTopUp = (status: AutoTopUpStatus) =>
  status.threshold === null
    ? `${status.accountId}: no auto top-up`
    : [
        `${status.accountId}: auto top-up ${status.enabled ? "on" : "off"}: below ${status.threshold} available, ask for ${status.amount}`,
        status.ceiling === null ? "" : ` up to a balance of ${status.ceiling}`,
        status.consecutiveFailures === 0 ? "" : `; ${status.consecutiveFailures} failures in a row`,
        status.openRequestId === null ? "" : `; request ${status.openRequestId} open`,
      ].join("")

type ConfigureAutoTopUp = typeof ConfigureAutoTopUpRequest.Encoded
type ConfigureRefill = typeof ConfigureRefillRequest.Encoded

/** Without --threshold and --amount the command prints the settings; with both it sets them. */
const autoTopUpInput = (flags: {
  readonly account: string
  readonly threshold: Option.Option<number>
  readonly amount: Option.Option<number>
  readonly ceiling: Option.Option<number>
  readonly disabled: boolean
}): Effect.Effect<Option.Option<ConfigureAutoTopUp>, InvalidRequest> => {
  const { threshold, amount } = flags
  if (Option.isNone(threshold) && Option.isNone(amount)) {
    return validate(AccountId)(flags.account).pipe(Effect.map(Option.none<ConfigureAutoTopUp>))
  }
  if (Option.isNone(threshold) || Option.isNone(amount)) {
    return Effect.fail(new InvalidRequest({ message: "setting auto top-up takes both --threshold and --amount" }))
  }
  return validate(ConfigureAutoTopUpRequest)({
    accountId: flags.account,
    threshold: threshold.value,
    amount: amount.value,
    ...present("ceiling", flags.ceiling),
    enabled: !flags.disabled,
  }).pipe(Effect.map(Option.some))
}

export const autoTopUp = Command.make(
  "auto-top-up",
  {
    account,
    threshold: Flag.Int("threshold").pipe(
      Flag.withDescription("Ask for credits when a debit leaves the available balance below this"),
      Flag.optional,
    ),
    amount: Flag.Int("amount").pipe(Flag.withDescription("Credits to ask for"), Flag.optional),
    ceiling: Flag.Int("ceiling").pipe(
      Flag.withDescription("Never ask for more than lifts the balance to this"),
      Flag.optional,
    ),
    disabled: Flag.Boolean("disabled").pipe(
      Flag.withDescription("Keep the settings but ask for nothing"),
      Flag.withDefault(false),
    ),
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      autoTopUpInput(flags),
      (settings) =>
        Ledger.use((ledger) =>
          Option.match(settings, {
            onNone: () => ledger.autoTopUp(flags.account),
            onSome: (request) => ledger.configureAutoTopUp(request),
          }),
        ),
      describeAutoTopUp,
    ),
).pipe(
  Command.withDescription(
    "Print, or with --threshold and --amount set, an account's auto top-up (the origin's auto_top_up)",
  ),
)

const requestId = Argument.Int("request-id").pipe(Argument.withDescription("The auto top-up request's id"))

const describeRequest = (request: AutoTopUpRequest) =>
  [
    `auto top-up request ${request.requestId} on ${request.accountId}: ${request.status}, ${request.amount} credits`,
    request.amount === request.amountConfigured ? "" : ` (of ${request.amountConfigured}, clamped)`,
    request.status === "open" ? `, expires ${request.expiresAt}` : `, ${request.status} ${request.resolvedAt}`,
    request.paymentReference === null ? "" : `, payment ${request.paymentReference}`,
    request.entrySequence === null ? "" : ` (entry ${request.entrySequence})`,
    request.failureReason === null ? "" : `: ${request.failureReason}`,
  ].join("")

const describeAutoTopUpPosting = (posting: AutoTopUpPosting) =>
  [
    describeRequest(posting.request),
    posting.entry === null ? "" : `\nbalance ${posting.entry.balanceAfter}`,
    posting.replayed ? "\n(nothing changed: it was already so)" : "",
  ].join("")

export const autoTopUpRequest = Command.make("auto-top-up-request", { account, requestId, memory, json }, (flags) =>
  run(
    flags,
    validate(AutoTopUpRequestLookup)({ accountId: flags.account, requestId: flags.requestId }),
    (request) => Ledger.use((ledger) => ledger.getAutoTopUpRequest(request)),
    describeRequest,
  ),
).pipe(Command.withDescription("Print an auto top-up request as it stands"))

export const completeAutoTopUp = Command.make(
  "complete-auto-top-up",
  {
    account,
    requestId,
    paymentReference: Flag.String("payment-reference").pipe(
      Flag.withDescription("Your payment provider's id of the charge (the idempotency key)"),
    ),
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      validate(CompleteAutoTopUpRequest)({
        accountId: flags.account,
        requestId: flags.requestId,
        paymentReference: flags.paymentReference,
      }),
      (request) => Ledger.use((ledger) => ledger.completeAutoTopUp(request)),
      describeAutoTopUpPosting,
    ),
).pipe(Command.withDescription("The payment was taken: credit an auto top-up request in full"))

export const failAutoTopUp = Command.make(
  "fail-auto-top-up",
  {
    account,
    requestId,
    reason: Flag.String("reason").pipe(Flag.withDescription("Why the payment failed (required)")),
    key,
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      validate(FailAutoTopUpRequest)({
        accountId: flags.account,
        requestId: flags.requestId,
        reason: flags.reason,
        ...present("idempotencyKey", flags.key),
      }),
      (request) => Ledger.use((ledger) => ledger.failAutoTopUp(request)),
      describeAutoTopUpPosting,
    ),
).pipe(Command.withDescription("The payment failed: credit nothing"))

export const expireAutoTopUps = Command.make("expire-auto-top-ups", { memory, json }, (flags) =>
  run(
    flags,
    noInput,
    () => Ledger.use((ledger) => ledger.expireAutoTopUps),
    (result) => `expired ${result.expired} auto top-up requests`,
  ),
).pipe(Command.withDescription("Expire every open auto top-up request past its deadline (the service does it too)"))

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
      const WebhookDispatcher: typeof Dispatcher = yield* Effect.promise(() => import("./WebhookDispatcher.ts"))
      const NodeCrypto = yield* Effect.promise(() => import("@effect/platform-node/NodeCrypto"))
      const Storage = yield* loadStorage
      const configured = yield* serverSettings
      const hooks = yield* webhookSettings
      const settings = {
        ...configured,
        port: Option.getOrElse(flags.port, () => configured.port),
        host: Option.getOrElse(flags.host, () => configured.host),
      }
      yield* Http.checkListen(settings)
      V8.setFlagsFromString(`--heap-growing-percent=${heapGrowthPercentMax}`)
      serving.value = true
      // "stopped" closes the log of a service that listened; a start that failed said why, and stops nothing.
      let listened = false
      const banner = Layer.effectDiscard(
        Effect.gen(function* () {
          listened = true
          const server = yield* HttpServer.HttpServer
          const database = yield* Storage.Database
          const url = HttpServer.formatAddress(server.address)
          yield* Console.log(bannerText(url, database, Option.isSome(settings.apiToken)))
          yield* Effect.logInfo("listening").pipe(Effect.annotateLogs({ url, storage: database.storage }))
          // Built last, released first: the log line that opens the shutdown.
          yield* Effect.addFinalizer(() => Effect.logInfo("shutting down: no new requests, finishing those in flight"))
        }),
      )
      const dispatcher = WebhookDispatcher.layer({
        ...WebhookDispatcher.defaults,
        attemptTimeoutMs: hooks.attemptTimeoutMs,
        retry: { ...WebhookDispatcher.defaults.retry, firstDelayMs: hooks.retryFirstDelayMs },
      }).pipe(Layer.provide(NodeCrypto.layerMac))
      yield* Layer.launch(
        Layer.merge(banner, dispatcher).pipe(
          Layer.provideMerge(Http.layer(settings)),
          Layer.provideMerge(
            Layer.mergeAll(
              HoldExpirySweep.layer,
              AutoTopUpExpirySweep.layer,
              RefillSweep.layer,
              GrantExpirySweep.layer,
            ),
          ),
          Layer.provideMerge(Storage.layer({ memory: flags.memory, role: "serve" })),
        ),
      ).pipe(Effect.ensuring(Effect.suspend(() => (listened ? Effect.logInfo("stopped") : Effect.void))))
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
    `  Console ${url}/console   API docs ${url}/docs   OpenAPI ${url}/openapi.json   health ${url}/health`,
    "Try:",
    `  curl -s -X POST ${url}/v1/accounts/alice/top-ups${auth} -H 'content-type: application/json' -d '{"amount": 1000, "ceiling": 5000}'`,
    `  curl -s ${url}/v1/accounts/alice/balance${auth}`,
  ].join("\n")
}

const describeEvent = (event: LedgerEvent) => {
  const what = (() => {
    switch (event.type) {
      case "balance.low":
        return `available ${event.data.availableAfter} fell below ${event.data.threshold}`
      case "auto_top_up.completed":
        return `request ${event.data.request.requestId}: +${event.data.request.amount}, balance ${event.data.balanceAfter}`
      case "auto_top_up.disabled":
        return `after ${event.data.consecutiveFailures} failures in a row`
      case "refill.applied":
        return `${event.data.decision} ${signed(event.data.amount)}, balance ${event.data.balanceAfter}`
      case "grant.expired":
        return `grant ${event.data.grant.grantId}: -${event.data.amount} (entry ${event.data.entrySequence})`
      default:
        return `request ${event.data.request.requestId}: ${event.data.request.amount} credits`
    }
  })()
  return [`#${event.id}`, event.createdAt, event.type, event.accountId, what].join("  ")
}

export const events = Command.make(
  "events",
  {
    after: Flag.Int("after").pipe(
      Flag.withDescription("Read after this event id (the last one you read)"),
      Flag.optional,
    ),
    limit: Flag.Int("limit").pipe(Flag.withDescription("Events per page"), Flag.optional),
    wait: Flag.Int("wait").pipe(
      Flag.withDescription("Seconds to wait for an event when there is none yet"),
      Flag.optional,
    ),
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      validate(EventsRequest)({
        ...present("after", flags.after),
        ...present("limit", flags.limit),
        ...present("wait", flags.wait),
      }),
      (request) => Ledger.use((ledger) => ledger.events(request)),
      (page) =>
        [
          ...(page.events.length === 0 ? ["no new events"] : page.events.map(describeEvent)),
          `next: --after ${page.next}`,
        ].join("\n"),
    ),
).pipe(Command.withDescription("Read the event feed, oldest first"))

const endpointId = Argument.String("endpoint").pipe(Argument.withDescription("The endpoint id (we_...)"))

const createWebhook = Command.make(
  "create",
  {
    url: Argument.String("url").pipe(Argument.withDescription("Where to post events (http or https)")),
    secret: Flag.String("secret").pipe(
      Flag.withDescription("The signing secret (16 to 255 printable characters); generated when left out"),
      Flag.optional,
    ),
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      validate(WebhookEndpointRequest)({ url: flags.url, ...present("secret", flags.secret) }),
      (request) => Webhooks.use((webhooks) => webhooks.create(request)),
      (endpoint) => `${endpoint.id}  ${endpoint.url}\nsigning secret (shown once): ${endpoint.secret}`,
    ),
).pipe(Command.withDescription("Add a webhook endpoint; prints its signing secret once"))

const listWebhooks = Command.make("list", { memory, json }, (flags) =>
  run(
    flags,
    noInput,
    () => Webhooks.use((webhooks) => Effect.map(webhooks.list, (endpoints) => ({ endpoints }))),
    ({ endpoints }) =>
      endpoints.length === 0
        ? "no webhook endpoints"
        : endpoints.map((e) => `${e.id}  ${e.url}  (since ${e.createdAt})`).join("\n"),
  ),
).pipe(Command.withDescription("List the webhook endpoints"))

const deleteWebhook = Command.make("delete", { endpointId, memory, json }, (flags) =>
  run(
    flags,
    validate(DeliveriesRequest.fields.endpointId)(flags.endpointId),
    (id) => Webhooks.use((webhooks) => webhooks.remove(id)).pipe(Effect.as({ id, deleted: true })),
    ({ id }) => `deleted ${id}`,
  ),
).pipe(Command.withDescription("Remove a webhook endpoint and its deliveries"))

const describeDelivery = (delivery: WebhookDelivery) =>
  [
    `event #${delivery.eventId} ${delivery.eventType}: ${delivery.status}`,
    delivery.nextAttemptAt === null ? "" : ` (next attempt ${delivery.nextAttemptAt})`,
    ...delivery.attempts.map(
      (a) =>
        `\n  attempt ${a.attempt} at ${a.attemptedAt}: ${a.statusCode === null ? (a.error ?? "no answer") : `HTTP ${a.statusCode}`} in ${a.durationMs} ms`,
    ),
  ].join("")

const webhookDeliveries = Command.make(
  "deliveries",
  {
    endpointId,
    limit: Flag.Int("limit").pipe(Flag.withDescription("Deliveries to show, newest first"), Flag.optional),
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      validate(DeliveriesRequest)({ endpointId: flags.endpointId, ...present("limit", flags.limit) }),
      (request) =>
        Webhooks.use((webhooks) => Effect.map(webhooks.deliveries(request), (deliveries) => ({ deliveries }))),
      ({ deliveries }) => (deliveries.length === 0 ? "no deliveries yet" : deliveries.map(describeDelivery).join("\n")),
    ),
).pipe(Command.withDescription("Show an endpoint's deliveries and their attempts"))

export const webhooks = Command.make("webhooks").pipe(
  Command.withDescription("Manage webhook endpoints: create, list, delete, deliveries"),
  Command.withSubcommands([createWebhook, listWebhooks, deleteWebhook, webhookDeliveries]),
)

export const tally = Command.make("tally").pipe(
  Command.withDescription(
    "Tally, a credit ledger. Exit codes: 0 success, 1 failure (storage unavailable, unexpected), 2 bad input, 3 rule rejection, 4 audit found violations.",
  ),
  Command.withSubcommands([
    serve,
    topUp,
    spend,
    balance,
    entries,
    hold,
    capture,
    release,
    getHold,
    expireHolds,
    refund,
    adjust,
    totals,
    search,
    exportEntries,
    settings,
    audit,
    migrate,
    events,
    webhooks,
    autoTopUp,
    autoTopUpRequest,
    completeAutoTopUp,
    failAutoTopUp,
    expireAutoTopUps,
    refill,
    ...grantCommands({ run, validate, account, memory, json }),
  ]),
)
