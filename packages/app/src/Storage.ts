import * as NodeCrypto from "@effect/platform-node/NodeCrypto"
import { MemoryEventLog, MemoryLedger, MemoryWebhookStore } from "@tally/adapters/memory"
import { type WebhookStore, Webhooks } from "@tally/domain/core"
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { storageSettings } from "./AppConfig.ts"
import type * as DataDirOwner from "./DataDirOwner.ts"
import type * as PostgresStorage from "./PostgresStorage.ts"
import * as WebhookEndpointCreated from "./WebhookEndpointCreated.ts"

/**
 * Where the ledger keeps its data, chosen once per process, the same way for the service and the
 * CLI: `--memory` or TALLY_STORAGE=memory keeps it in the process; otherwise DATABASE_URL names a
 * PostgreSQL server; otherwise an embedded PostgreSQL runs from TALLY_DATA_DIR (default `.tally/`).
 * PostgreSQL storage is migrated before the ledger is used.
 */

export interface DatabaseShape {
  readonly storage: "memory" | "postgres" | "embedded-postgres"
  /** For people: where the data lives, never with credentials. */
  readonly location: string
  /** Migrations this process applied, by name. */
  readonly migrationsApplied: ReadonlyArray<string>
  /** Succeeds when the database answers. */
  readonly ping: Effect.Effect<void, unknown>
  /** The longest a request may wait on it for its answer; 0 in memory. */
  readonly requestDeadlineMs: number
}

export class Database extends Context.Service<Database, DatabaseShape>()("@tally/app/Database") {}

export interface Options {
  /** `--memory` on the command line. */
  readonly memory: boolean
  /** `serve` owns an embedded data directory; a command may share a running server's. */
  readonly role: DataDirOwner.Role
}

/**
 * The webhook endpoints over `store`, which the service's dispatcher also uses, told when this process
 * creates an endpoint; secrets from the OS, and the ids of keyed creations from its HMAC.
 */
export const webhooks = <E, R>(store: Layer.Layer<WebhookStore, E, R>) =>
  Webhooks.layer.pipe(
    Layer.provideMerge(WebhookEndpointCreated.announcing(store)),
    Layer.provide(Layer.merge(NodeCrypto.layerSecureRandom, NodeCrypto.layerMac)),
  )

const memory = Layer.mergeAll(
  MemoryLedger.layer,
  webhooks(MemoryWebhookStore.layer),
  Layer.succeed(Database, {
    storage: "memory",
    location: "process memory (lost when the process exits)",
    migrationsApplied: [],
    ping: Effect.void,
    requestDeadlineMs: 0,
  }),
).pipe(Layer.provide(MemoryEventLog.layer))

/** PostgreSQL's storage, loaded only when selected: `--memory` never loads its driver. */
const loadPostgres = Effect.promise(() => import("./PostgresStorage.ts"))

type PostgresLayer = ReturnType<typeof PostgresStorage.postgres> | ReturnType<typeof PostgresStorage.embedded>

/**
 * What starting the selected storage can fail with: its settings, and PostgreSQL's connection,
 * migrations and embedded server (spelled out here: their module loads only when selected).
 */
export type StorageError = Config.ConfigError | Layer.Error<PostgresLayer>

/** The `Ledger`, the webhooks and the `Database` they run on, as the configuration and `--memory` select. */
export const layer = (options: Options): Layer.Layer<Layer.Success<typeof memory | PostgresLayer>, StorageError> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const settings = yield* storageSettings
      if (options.memory || settings.storage === "memory") return memory
      if (Option.isSome(settings.databaseUrl)) {
        const url = settings.databaseUrl.value
        return (yield* loadPostgres).postgres(url, settings, { storage: "postgres", location: "DATABASE_URL" })
      }
      return (yield* loadPostgres).embedded(settings, options.role)
    }),
  )
