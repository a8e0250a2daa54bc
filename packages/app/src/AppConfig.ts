import { Limits } from "@tally/domain/core"
import * as Config from "effect/Config"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/**
 * Every setting of the service and the CLI, read from the environment through Effect `Config`,
 * each with its default, its bound and the reason for it. A bad value stops the process with a
 * message naming the variable.
 */

export const Defaults = {
  port: 3000,
  host: "127.0.0.1",
  dataDir: ".tally",
  /** Enough for the group-commit writers and the reads beside them; PostgreSQL allows 100 by default. */
  poolSize: 10,
  poolSizeMax: 90,
  /** How long a write retries a lost database before answering 503 (the store's default). */
  retryBudgetMs: 5_000,
  /** Beyond a minute a caller has long given up; retrying with its key is theirs to do. */
  retryBudgetMsMax: 60_000,
  /**
   * How long a database connection may wait for an answer before it is replaced (`PgDeadline`'s
   * default): a statement of the ledger takes milliseconds, an export streams, so only a server
   * that stopped answering stays silent this long.
   */
  statementTimeoutMs: 5_000,
  /** Below this a busy server's ordinary pauses would cost connections. */
  statementTimeoutMsMin: 500,
  /** Beyond ten minutes nothing is bounded any more. */
  statementTimeoutMsMax: 600_000,
  /** A bearer token shorter than this is guessable. */
  apiTokenLengthMin: 16,
  /** Webhook timings below this would fail receivers that are merely busy. */
  webhookMsMin: 100,
  /** A receiver slower than a minute is down; retries past the hour cap are the policy's business. */
  webhookTimeoutMsMax: 60_000,
} as const

export const StorageKind = Schema.Literals(["postgres", "memory"])

/** A PostgreSQL connection URL, or nothing (the embedded server); its text, which holds a password, is never shown. */
const DatabaseUrl = Schema.String.check(
  Schema.makeFilter((text) => text === "" || (/^postgres(ql)?:\/\//.test(text) && URL.canParse(text)), {
    expected: "a postgres:// or postgresql:// URL, such as postgres://user:password@host:5432/tally",
  }),
)

export interface StorageSettings {
  /** `memory` keeps everything in the process; `postgres` uses DATABASE_URL or the embedded server. */
  readonly storage: typeof StorageKind.Type
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
  readonly dataDir: string
  readonly poolSize: number
  readonly retryBudgetMs: number
  readonly statementTimeoutMs: number
}

export const storageSettings: Config.Config<StorageSettings> = Config.all({
  storage: Config.schema(StorageKind, "TALLY_STORAGE").pipe(Config.withDefault("postgres" as const)),
  // Unset and empty mean the same: shells and .env files often export empty variables.
  databaseUrl: Config.schema(DatabaseUrl, "DATABASE_URL").pipe(
    Config.option,
    Config.map((url) =>
      Option.map(
        Option.filter(url, (text) => text !== ""),
        Redacted.make,
      ),
    ),
  ),
  dataDir: Config.schema(Schema.NonEmptyString, "TALLY_DATA_DIR").pipe(Config.withDefault(Defaults.dataDir)),
  poolSize: Config.schema(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Defaults.poolSizeMax })),
    "TALLY_DB_POOL_SIZE",
  ).pipe(Config.withDefault(Defaults.poolSize)),
  retryBudgetMs: Config.schema(
    Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: Defaults.retryBudgetMsMax })),
    "TALLY_DB_RETRY_MS",
  ).pipe(Config.withDefault(Defaults.retryBudgetMs)),
  statementTimeoutMs: Config.schema(
    Schema.Int.check(
      Schema.isBetween({ minimum: Defaults.statementTimeoutMsMin, maximum: Defaults.statementTimeoutMsMax }),
    ),
    "TALLY_DB_STATEMENT_TIMEOUT_MS",
  ).pipe(Config.withDefault(Defaults.statementTimeoutMs)),
})

export interface ServerSettings {
  readonly host: string
  readonly port: number
  readonly apiToken: Option.Option<Redacted.Redacted<string>>
}

const ApiToken = Schema.Redacted(
  Schema.String.check(
    Schema.isMinLength(Defaults.apiTokenLengthMin, {
      message: `must be at least ${Defaults.apiTokenLengthMin} characters`,
    }),
  ),
)

export const serverSettings: Config.Config<ServerSettings> = Config.all({
  host: Config.schema(Schema.NonEmptyString, "TALLY_HOST").pipe(Config.withDefault(Defaults.host)),
  port: Config.Port("PORT").pipe(Config.withDefault(Defaults.port)),
  apiToken: Config.schema(ApiToken, "TALLY_API_TOKEN").pipe(Config.option),
})

export interface WebhookSettings {
  /** How long a receiver gets to answer a delivery. */
  readonly attemptTimeoutMs: number
  /** The first retry of a failed delivery comes after this long, doubling from there. */
  readonly retryFirstDelayMs: number
}

export const webhookSettings: Config.Config<WebhookSettings> = Config.all({
  attemptTimeoutMs: Config.schema(
    Schema.Int.check(Schema.isBetween({ minimum: Defaults.webhookMsMin, maximum: Defaults.webhookTimeoutMsMax })),
    "TALLY_WEBHOOK_TIMEOUT_MS",
  ).pipe(Config.withDefault(Limits.webhookAttemptTimeoutMs)),
  retryFirstDelayMs: Config.schema(
    Schema.Int.check(Schema.isBetween({ minimum: Defaults.webhookMsMin, maximum: Limits.webhookRetryDelayMaxMs })),
    "TALLY_WEBHOOK_RETRY_MS",
  ).pipe(Config.withDefault(Limits.webhookRetryFirstDelayMs)),
})

export const LogFormat = Schema.Literals(["json", "logfmt", "pretty"])

export const logSettings = Config.all({
  format: Config.schema(LogFormat, "TALLY_LOG_FORMAT").pipe(Config.withDefault("json" as const)),
  level: Config.LogLevel("TALLY_LOG_LEVEL").pipe(Config.withDefault("Info" as const)),
})
