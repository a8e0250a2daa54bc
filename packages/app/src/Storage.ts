import * as Path from "node:path"
import * as NodeCrypto from "@effect/platform-node/NodeCrypto"
import { PgClient } from "@effect/sql-pg"
import {
  EmbeddedPostgres,
  MemoryEventLog,
  MemoryLedger,
  MemoryWebhookStore,
  PgDeadline,
  PgLedger,
  PgLedgerStore,
  PgMigrations,
  PgWebhookStore,
} from "@tally/adapters"
import { type WebhookStore, Webhooks } from "@tally/domain"
import { Context, Effect, Layer, Option, type Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { type StorageSettings, storageSettings } from "./AppConfig.ts"
import * as DataDirOwner from "./DataDirOwner.ts"

/**
 * Where the ledger keeps its data, chosen once per process, the same way for the service and the
 * CLI: `--memory` or TALLY_STORAGE=memory keeps it in the process; otherwise DATABASE_URL names a
 * PostgreSQL server; otherwise an embedded PostgreSQL runs from TALLY_DATA_DIR (default `.tally/`).
 * PostgreSQL storage is migrated before the ledger is used.
 */

/** A health check that takes longer than this counts as the database not answering. */
const pingTimeout = "2 seconds"

export interface DatabaseShape {
  readonly storage: "memory" | "postgres" | "embedded-postgres"
  /** For people: where the data lives, never with credentials. */
  readonly location: string
  /** Migrations this process applied, by name. */
  readonly migrationsApplied: ReadonlyArray<string>
  /** Succeeds when the database answers. */
  readonly ping: Effect.Effect<void, unknown>
}

export class Database extends Context.Service<Database, DatabaseShape>()("@tally/app/Database") {}

export interface Options {
  /** `--memory` on the command line. */
  readonly memory: boolean
  /** `serve` owns an embedded data directory; a command may share a running server's. */
  readonly role: DataDirOwner.Role
}

/** The webhook endpoints over `store`, which the service's dispatcher also uses; secrets from the OS. */
const webhooks = <E, R>(store: Layer.Layer<WebhookStore, E, R>) =>
  Webhooks.layer.pipe(Layer.provideMerge(store), Layer.provide(NodeCrypto.layerSecureRandom))

const memory = Layer.mergeAll(
  MemoryLedger.layer,
  webhooks(MemoryWebhookStore.layer),
  Layer.succeed(Database, {
    storage: "memory",
    location: "process memory (lost when the process exits)",
    migrationsApplied: [],
    ping: Effect.void,
  }),
).pipe(Layer.provide(MemoryEventLog.layer))

const postgres = (
  url: Redacted.Redacted<string>,
  settings: StorageSettings,
  describe: Omit<DatabaseShape, "ping" | "migrationsApplied">,
) => {
  const deadline = { statementTimeoutMs: settings.statementTimeoutMs }
  const client = PgClient.layer({
    // Every wait on the database is bounded: a partition or a stalled server costs a connection, not a request.
    ...PgDeadline.poolSettings({ url }, deadline),
    url,
    maxConnections: settings.poolSize,
    applicationName: "tally",
    startupParameters: { ...PgLedgerStore.sessionParameters, ...PgDeadline.sessionParameters(deadline) },
  })
  // The migrations run here rather than in the ledger's layer, so that `tally migrate` can report them.
  const migrated = Layer.effect(
    Database,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const applied = yield* PgMigrations.migrate
      return Database.of({
        ...describe,
        migrationsApplied: applied.map(([id, name]) => `${id}_${name}`),
        ping: sql`SELECT 1`.pipe(Effect.timeout(pingTimeout), Effect.asVoid),
      })
    }),
  )
  // provideMerge builds `migrated` first: the ledger and the webhooks start on the migrated schema.
  const ledger = Layer.mergeAll(
    PgLedger.layerOnSqlClient({ migrate: false, store: { retryBudgetMs: settings.retryBudgetMs, ...deadline } }),
    webhooks(PgWebhookStore.layer({ ...PgLedgerStore.defaults, retryBudgetMs: settings.retryBudgetMs, ...deadline })),
  )
  return ledger.pipe(Layer.provideMerge(migrated), Layer.provide(client))
}

const embedded = (settings: StorageSettings, role: DataDirOwner.Role) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const dataDir = Path.resolve(settings.dataDir)
      const claim = yield* DataDirOwner.claim(dataDir, role)
      const location = `embedded PostgreSQL in ${dataDir}`
      if (claim._tag === "Guest") {
        return postgres(claim.databaseUrl, settings, { storage: "embedded-postgres", location })
      }
      const server = yield* EmbeddedPostgres.start({ dataDir: Path.join(dataDir, "postgres") })
      yield* claim.publish(server.url)
      return postgres(server.url, settings, { storage: "embedded-postgres", location })
    }),
  )

/** The `Ledger`, the webhooks and the `Database` they run on, as the configuration and `--memory` select. */
export const layer = (options: Options) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const settings = yield* storageSettings
      if (options.memory || settings.storage === "memory") return memory
      if (Option.isSome(settings.databaseUrl)) {
        return postgres(settings.databaseUrl.value, settings, { storage: "postgres", location: "DATABASE_URL" })
      }
      return embedded(settings, options.role)
    }),
  )
