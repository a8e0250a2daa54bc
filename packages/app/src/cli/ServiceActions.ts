import * as V8 from "node:v8"
import { Ledger } from "@tally/domain/core"
import * as Console from "effect/Console"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import { HttpServer } from "effect/http"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as References from "effect/References"
import { serverSettings, webhookSettings } from "../AppConfig.ts"
import { ExitCode, render } from "../ExitCode.ts"
import type * as TallyHttp from "../HttpServer.ts"
import * as Logging from "../Logging.ts"
import type * as Storage from "../Storage.ts"
import * as AutoTopUpExpirySweep from "../sweeps/AutoTopUpExpirySweep.ts"
import * as GrantExpirySweep from "../sweeps/GrantExpirySweep.ts"
import * as HoldExpirySweep from "../sweeps/HoldExpirySweep.ts"
import * as PendingCreditExpirySweep from "../sweeps/PendingCreditExpirySweep.ts"
import * as RefillSweep from "../sweeps/RefillSweep.ts"
import type * as Dispatcher from "../WebhookDispatcher.ts"
import { loadStorage, noInput, run } from "./CommandRun.ts"
import type { auditFlags, migrateFlags, serveFlags } from "./ServiceCommands.ts"
import { serving } from "./ServiceCommands.ts"

export const audit = (flags: Command.Command.Config.Infer<typeof auditFlags>) =>
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
  )

export const migrate = (flags: Command.Command.Config.Infer<typeof migrateFlags>) =>
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
  )

/**
 * By default V8 lets its heap grow to several times what is live before it collects the old
 * generation, and a busy service's requests leave a lot behind (at 64 connections on PostgreSQL the
 * heap swung between 60 and 175 MB). The service collects once the heap has grown this much past
 * what the last collection kept: peak RSS 245 -> 150 MB, CPU per request within the noise.
 */
const heapGrowthPercentMax = 20

/**
 * V8 allocates an object straight in the old generation once most objects from the same place in
 * the code have outlived a young collection (allocation-site pretenuring). A service's objects live
 * for one request, but a collection that meets a burst of requests in flight tells V8 otherwise, and
 * from then on those requests' objects, and every young object they point to, stay until the next
 * full collection: at 16 connections, with the store's generators built once, a request left 4.1 KB
 * in the old generation with it and 1.3 without (`bench/PERFORMANCE.md`).
 */
const v8Flags = [`--heap-growing-percent=${heapGrowthPercentMax}`, "--no-allocation-site-pretenuring"]

export const serve = (flags: Command.Command.Config.Infer<typeof serveFlags>) =>
  Effect.gen(function* () {
    // Loaded here, so the other commands start without the HTTP stack.
    const Http: typeof TallyHttp = yield* Effect.promise(() => import("../HttpServer.ts"))
    const WebhookDispatcher: typeof Dispatcher = yield* Effect.promise(() => import("../WebhookDispatcher.ts"))
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
    for (const flag of v8Flags) V8.setFlagsFromString(flag)
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
            PendingCreditExpirySweep.layer,
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
  )

const bannerText = (url: string, database: Storage.DatabaseShape, withToken: boolean) => {
  const auth = withToken ? ` -H "Authorization: Bearer $TALLY_API_TOKEN"` : ""
  return [
    `Tally is listening on ${url} (storage: ${database.location})`,
    `  Console ${url}/console   API docs ${url}/docs   OpenAPI ${url}/openapi.json   health ${url}/health`,
    "Try:",
    `  curl -s -X POST ${url}/v1/accounts/demo/top-ups${auth} -H 'content-type: application/json' -d '{"amount": 1000, "ceiling": 5000}'`,
    `  curl -s ${url}/v1/accounts/demo/balance${auth}`,
  ].join("\n")
}
