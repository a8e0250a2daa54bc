import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { EmbeddedPostgres } from "@tally/adapters/embedded-postgres"
import { PgDeadline, PgLedger, PgLedgerStore, PgMigrations, PgWebhookStore } from "@tally/adapters/postgres"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import { SqlClient } from "effect/sql"
import type { StorageSettings } from "./AppConfig.ts"
import * as DataDirOwner from "./DataDirOwner.ts"
import { Database, type DatabaseShape, webhooks } from "./Storage.ts"

/**
 * The ledger on PostgreSQL, a server's (DATABASE_URL) or the embedded one's. `Storage.ts` imports
 * this module only when it selects PostgreSQL, so a command on `--memory` never loads the driver.
 */

/** A health check that takes longer than this counts as the database not answering. */
const pingTimeout = "2 seconds"

export const postgres = (
  url: Redacted.Redacted<string>,
  settings: StorageSettings,
  describe: Pick<DatabaseShape, "storage" | "location">,
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
        requestDeadlineMs: PgLedgerStore.requestDeadlineMs({ retryBudgetMs: settings.retryBudgetMs, ...deadline }),
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

export const embedded = (settings: StorageSettings, role: DataDirOwner.Role) =>
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
