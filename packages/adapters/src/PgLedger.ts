import { PgClient } from "@effect/sql-pg"
import { Ledger } from "@tally/domain/core"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { Migrator, SqlClient, SqlError } from "effect/sql"
import * as PgDeadline from "./PgDeadline.ts"
import * as PgLedgerStore from "./PgLedgerStore.ts"
import * as PgMigrations from "./PgMigrations.ts"

/**
 * The ledger on PostgreSQL in one layer: a connection pool, the migrations run on it (unless a
 * deploy step runs them), then the store and the ledger over the same pool.
 */

export interface LedgerOptions {
  /** Tuning of the store (group commit, solo writes, retries); unset fields keep `PgLedgerStore.defaults`. */
  readonly store?: Partial<PgLedgerStore.Options>
  /**
   * Bring the schema up to date when the layer is built (the default). `false` when a deploy step
   * runs `PgMigrations.migrate` (or `tally migrate`) and the application's role may not change it.
   */
  readonly migrate?: boolean
}

/** The store writes SQL with its own column names and types: these pool settings would break it. */
type StoreOwnedSettings = "transformQueryNames" | "transformResultNames" | "transformJson" | "types"

export interface Options extends LedgerOptions, Omit<PgClient.PgPoolConfig, "url" | StoreOwnedSettings> {
  /** `postgres://user:password@host:5432/database`; a plain string is redacted before use. */
  readonly url?: string | Redacted.Redacted<string> | undefined
  /**
   * How long a connection may wait for an answer before it is closed and replaced (default
   * `PgDeadline.defaults`, 5 s); also its set-up's bound. See `PgDeadline`.
   */
  readonly statementTimeoutMs?: number | undefined
}

/**
 * The ledger on the `SqlClient` in context, for an application that shares its own pool with the
 * ledger; give that pool `startupParameters: PgLedgerStore.sessionParameters`. The migrations finish
 * before the store starts its batch writers.
 */
export const layerOnSqlClient = (
  options: LedgerOptions = {},
): Layer.Layer<Ledger, Migrator.MigrationError | SqlError.SqlError, SqlClient.SqlClient> => {
  const store = PgLedgerStore.layer({ ...PgLedgerStore.defaults, ...options.store })
  // The store is this package's own, written for the port of the same release: it cannot mismatch.
  const ledger = Ledger.layer.pipe(Layer.orDie, Layer.provide(store))
  // Layer.provide builds the migrations layer first, then the store on the migrated schema.
  return options.migrate === false ? ledger : ledger.pipe(Layer.provide(Layer.effectDiscard(PgMigrations.migrate)))
}

/**
 * The ledger on a pool of its own, at `url`, whose sessions carry the store's settings and whose
 * connections cannot hang (`PgDeadline`; a `keepAlive`, `connectTimeout` or `stream` of the options wins).
 */
export const layer = (options: Options): Layer.Layer<Ledger, Migrator.MigrationError | SqlError.SqlError> => {
  const { store, migrate, url, statementTimeoutMs, ...pool } = options
  const deadline = { statementTimeoutMs: statementTimeoutMs ?? PgDeadline.defaults.statementTimeoutMs }
  const client = PgClient.layer({
    ...PgDeadline.poolSettings({ ...pool, url }, deadline),
    ...pool,
    url: typeof url === "string" ? Redacted.make(url) : url,
    startupParameters: {
      ...PgLedgerStore.sessionParameters,
      ...PgDeadline.sessionParameters(deadline),
      ...pool.startupParameters,
    },
  })
  // The store's request deadline counts the pool's statement deadline.
  return layerOnSqlClient({ ...options, store: { ...deadline, ...store } }).pipe(Layer.provide(client))
}

/** `layer`, with its options read through `Config` (for example `{ url: Config.Redacted("DATABASE_URL") }`). */
export const layerConfig = (
  config: Config.Wrap<Options>,
): Layer.Layer<Ledger, Config.ConfigError | Migrator.MigrationError | SqlError.SqlError> =>
  Layer.unwrap(Effect.map(Config.unwrap(config), layer))
