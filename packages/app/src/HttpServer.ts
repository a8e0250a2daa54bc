import { isUtf8 } from "node:buffer"
import { createHash, timingSafeEqual } from "node:crypto"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import {
  InvalidRequest,
  type InvalidRequestResponse,
  RequestValidation,
  TallyApi,
  Authorization as TallyAuthorization,
  Unauthorized,
} from "@tally/domain"
import * as ByteSize from "effect/ByteSize"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import {
  FindMyWay,
  HttpEffect,
  HttpIncomingMessage,
  HttpRouter,
  HttpServer,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse,
} from "effect/http"
import {
  HttpApiBuilder,
  type HttpApiEndpoint,
  HttpApiError,
  type HttpApiMiddleware,
  HttpApiScalar,
} from "effect/http-api"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import type { ServerSettings } from "./AppConfig.ts"
import * as Console from "./Console.ts"
import * as HotRoutes from "./HotRoutes.ts"
import { AutoTopUpHandlers } from "./http/AutoTopUpHandlers.ts"
import { CorrectionsHandlers } from "./http/CorrectionHandlers.ts"
import { EventHandlers } from "./http/EventHandlers.ts"
import { GrantHandlers } from "./http/GrantHandlers.ts"
import { HistoryHandlers } from "./http/HistoryHandlers.ts"
import { HoldsHandlers } from "./http/HoldHandlers.ts"
import { LedgerHandlers } from "./http/LedgerHandlers.ts"
import { PendingCreditHandlers } from "./http/PendingCreditHandlers.ts"
import { RefillHandlers } from "./http/RefillHandlers.ts"
import { RunsHandlers } from "./http/RunsHandlers.ts"
import { SystemHandlers } from "./http/SystemHandlers.ts"
import { WalletHandlers } from "./http/WalletHandlers.ts"
import { WebhookHandlers } from "./http/WebhookHandlers.ts"
import * as RequestId from "./RequestId.ts"
import * as RequestLog from "./RequestLog.ts"
import * as Stopping from "./Stopping.ts"
import * as Storage from "./Storage.ts"

// Each group's handlers live in `http/`; these were exported from here and still are.
export { CorrectionsHandlers, HistoryHandlers, HoldsHandlers, LedgerHandlers, SystemHandlers }

/**
 * The HTTP service: the handlers of `TallyApi` over the `Ledger`, bearer-token auth, request
 * validation answered as 400 `InvalidRequest`, every failure answered as JSON without internals,
 * size limits on headers and bodies, and one structured log line per request with its id.
 */

export const Limits = {
  /** The largest request body. A write with the largest metadata (4 KiB of JSON) fits with room. */
  bodyBytesMax: 64 * 1024,
  /** All request headers together; Node answers 431 beyond it. */
  headerBytesMax: 16 * 1024,
  /** A whole request (headers and body) must arrive within this time, else 408 and the connection closes. */
  requestTimeoutMs: 30_000,
  /** The headers must arrive within this time. */
  headersTimeoutMs: 10_000,
  /**
   * How often Node checks those two deadlines, so how late it may enforce them. Node's default, 30 s,
   * let a slow body live to nearly twice the documented deadline.
   */
  deadlineCheckIntervalMs: 1_000,
  /**
   * In-flight requests get this long to finish when the server shuts down, or their storage's longest
   * request and a second, whichever is longer (up to the most): cut short, a request would be answered an
   * empty 503 that says neither whether its write landed nor when to retry.
   */
  shutdownGraceMs: 10_000,
  shutdownGraceMsMax: 120_000,
  /**
   * Path parameters the router matches at most; longer ones answer 404. Above the longest account
   * id (128), so an id that is merely too long reaches validation and answers 400.
   */
  pathParamLengthMax: 512,
  /** A 503 tells the caller to retry after this long: the store has already retried for a few seconds. */
  retryAfterSeconds: 1,
} as const

// -----------------------------------------------------------------------------
// Middleware of the API
// -----------------------------------------------------------------------------

const digest = (text: string) => createHash("sha256").update(text).digest()

/** Whether a bearer credential is the token; compared in constant time (digests of equal length). */
const tokenMatcher = (apiToken: Redacted.Redacted<string>) => {
  const expected = digest(Redacted.value(apiToken))
  return (credential: string) => timingSafeEqual(digest(credential), expected)
}

/** With a token, every `/v1` request must carry it. */
export const authorizationLayer = (apiToken: Option.Option<Redacted.Redacted<string>>) => {
  const matches = Option.map(apiToken, tokenMatcher)
  return Layer.succeed(TallyAuthorization, {
    bearer: (httpEffect, { credential }) => {
      if (Option.isNone(matches) || matches.value(Redacted.value(credential))) return httpEffect
      return Effect.fail(new Unauthorized({ message: "a valid Authorization: Bearer <token> header is required" }))
    },
  })
}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** What was wrong with a slot of a request (`body`, `params`...), each problem's path first. */
const invalidRequest = (slot: string, issue: SchemaIssue.Issue) => {
  const issues = formatIssues(issue).issues.map((problem) => {
    const path = (problem.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment))
    return `${[slot, ...path].join(".")}: ${problem.message}`
  })
  return new InvalidRequest({ message: issues.join("; ") })
}

/** The names of a request's query parameters. */
const queryNamesOf = (url: string) => {
  const start = url.indexOf("?")
  return start === -1 ? [] : [...new Set(new URLSearchParams(url.slice(start + 1)).keys())]
}

/** A body that says nothing: none, whitespace or `{}`, which some clients send with every POST. */
const saysNothing = (text: string) => {
  const trimmed = text.trim()
  return trimmed === "" || /^\{\s*\}$/.test(trimmed)
}

/**
 * What an endpoint's schemas cannot refuse, since it declares none: a query parameter on a route that
 * takes none (`?ceiling=5` on a top-up would apply it without a ceiling), or a body on a write that
 * takes none (`{"amount": 10}` on a release would release the whole hold).
 */
const undeclaredInput = (endpoint: HttpApiEndpoint.Top) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const names = endpoint.query === undefined ? queryNamesOf(request.url) : []
    if (names.length > 0) {
      return new InvalidRequest({ message: `query: this route takes no query parameters; got ${names.join(", ")}` })
    }
    if (!bodyMethods.has(request.method) || !hasBody(request.headers)) return
    if (endpoint.payload.size > 0) {
      return (yield* isUtf8Body(request)) ? undefined : invalidRequest("body", HotRoutes.notUtf8)
    }
    return saysNothing(yield* request.text)
      ? undefined
      : new InvalidRequest({ message: "body: this route takes no body (send none, or {})" })
  })

/** Whether a body is UTF-8; one that cannot be read is left to its route, which reads it again and answers. */
const isUtf8Body = (request: HttpServerRequest.HttpServerRequest) =>
  request.arrayBuffer.pipe(
    Effect.map((bytes) => isUtf8(bytes)),
    Effect.orElseSucceed(() => true),
  )

const schemaFailure = (error: HttpApiError.HttpApiSchemaError) =>
  error.kind === "Body" || error.kind === "ResponseHeaders"
    ? Effect.fail(error)
    : Effect.fail(invalidRequest(error.kind === "Payload" ? "body" : error.kind.toLowerCase(), error.cause.issue))

/**
 * A request that fails the API's schemas answers 400 with what was wrong, and so does one that sends
 * what its route declares no schema for.
 */
export const requestValidationLayer = Layer.succeed(RequestValidation, ((httpEffect, { endpoint }) =>
  undeclaredInput(endpoint).pipe(
    Effect.flatMap(
      (refused): Effect.Effect<HttpServerResponse.HttpServerResponse, unknown> =>
        refused === undefined ? httpEffect : Effect.fail(refused),
    ),
    Effect.catch((error) => (HttpApiError.HttpApiSchemaError.is(error) ? schemaFailure(error) : Effect.fail(error))),
  )) as HttpApiMiddleware.HttpApiMiddleware<never, typeof InvalidRequestResponse, never>)

// -----------------------------------------------------------------------------
// Middleware of the router and the server
// -----------------------------------------------------------------------------

/** What a 500 says: details go to the log only. */
const internalError = {
  _tag: "InternalError",
  message: "internal error; the request id is in the X-Request-Id header",
} as const

const errorJson = (status: number, _tag: string, message: string) =>
  HttpServerResponse.jsonUnsafe({ _tag, message }, { status })

const unsupportedMediaType = () =>
  errorJson(
    415,
    "UnsupportedMediaType",
    "request bodies must be JSON in UTF-8 (Content-Type: application/json, with no charset or charset=utf-8)",
  )

/** Methods whose requests carry a body the API reads. */
const bodyMethods = new Set(["POST", "PUT", "PATCH"])

const mediaTypeOf = (contentType: string | undefined) => contentType?.split(";")[0]?.trim().toLowerCase()
/** The charset a Content-Type names, lower-cased, if it names one. */
const charsetOf = (contentType: string) => /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase()
/** Bodies are read as UTF-8, as JSON is: a body said to be in another charset would be misread, not refused. */
const utf8Charsets = new Set([undefined, "utf-8", "utf8"])
const declaresJson = (contentType: string | undefined) =>
  contentType === "application/json" ||
  (contentType !== undefined &&
    mediaTypeOf(contentType) === "application/json" &&
    utf8Charsets.has(charsetOf(contentType)))

/** A request carries a body when it says how long (more than nothing) or sends it in chunks. */
const hasBody = (headers: Readonly<Record<string, string | undefined>>) =>
  headers["transfer-encoding"] !== undefined || Number(headers["content-length"] ?? 0) > 0

/**
 * A request body must be declared JSON, as the API documents: a body with no Content-Type used to
 * be read as JSON, and a web page can send exactly that (a typeless Blob) to any address without a
 * CORS preflight. A write with no body at all (a release) has nothing to declare; a browser's
 * bodiless request from another site is refused by the cross-site check. Per route, so a request to
 * no route still answers 404.
 */
const jsonBodies = HttpRouter.middleware((httpEffect) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const declaredJson = declaresJson(request.headers["content-type"])
    return bodyMethods.has(request.method) && hasBody(request.headers) && !declaredJson
      ? unsupportedMediaType()
      : yield* httpEffect
  }),
)

/** What a browser says about a request it sends on behalf of a page of another site. */
const crossSiteFetches = new Set(["cross-site", "same-site"])

/** The service's own origin: a page loaded from this loopback address (and port) by plain HTTP. */
const isOwnOrigin = (origin: string, host: string | undefined) => {
  if (!URL.canParse(origin)) return false
  const url = new URL(origin)
  return url.protocol === "http:" && url.host === host && isLoopback(url.hostname.replace(/^\[(.*)\]$/, "$1"))
}

/**
 * Without a token, listening on loopback is the only guard, and a web page open in the user's
 * browser reaches loopback too. So what a browser sends on another site's behalf (Sec-Fetch-Site
 * cross-site or same-site, or an Origin other than the service's own) is refused 403 before any
 * route runs. With a token the token decides: no page can send it cross-site without a CORS
 * preflight, which the service never grants.
 */
const crossSiteGuard = HttpRouter.middleware(
  (httpEffect) =>
    Effect.gen(function* () {
      const { headers } = yield* HttpServerRequest.HttpServerRequest
      const fetchSite = headers["sec-fetch-site"]
      const crossSite =
        (fetchSite !== undefined && crossSiteFetches.has(fetchSite)) ||
        (headers.origin !== undefined && !isOwnOrigin(headers.origin, headers.host))
      if (!crossSite) return yield* httpEffect
      return errorJson(
        403,
        "Forbidden",
        "refusing a request a browser sent from another site: without TALLY_API_TOKEN only the service's own pages and non-browser clients may call it",
      )
    }),
  { global: true },
)

/** What a request arriving after the process was asked to stop is answered: nothing was written. */
const stoppingAnswer = () =>
  errorJson(
    503,
    "LedgerUnavailable",
    "the service is stopping: nothing was written; retry (on another instance, if you run several)",
  ).pipe(HttpServerResponse.setHeaders({ "retry-after": String(Limits.retryAfterSeconds), connection: "close" }))

/**
 * Once the process is asked to stop, requests still arriving on open connections (Node closes only the
 * idle ones) are refused, and every answer closes its connection, so callers move to another instance
 * while those in flight finish.
 */
const stoppingGuard = HttpRouter.middleware(
  (httpEffect) =>
    Effect.suspend(() =>
      Stopping.isStopping()
        ? Effect.succeed(stoppingAnswer())
        : Effect.map(httpEffect, (response) =>
            Stopping.isStopping() ? HttpServerResponse.setHeader(response, "connection", "close") : response,
          ),
    ),
  { global: true },
)

/** Failures that escape the API (no route, bodies too large, defects) as JSON, never with internals. */
const errorResponses = HttpRouter.middleware(
  (httpEffect) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const length = Number(request.headers["content-length"] ?? 0)
      if (length > Limits.bodyBytesMax) {
        return errorJson(413, "PayloadTooLarge", `request bodies are limited to ${Limits.bodyBytesMax} bytes`)
      }
      const response = yield* httpEffect
      if (response.status === 415) return unsupportedMediaType()
      if (response.status === 503) {
        return HttpServerResponse.setHeader(response, "retry-after", String(Limits.retryAfterSeconds))
      }
      return response
    }).pipe(
      Effect.catchCause((cause) => {
        if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
        const failure = cause.reasons.find(Cause.isFailReason)?.error
        if (HttpServerError.isHttpServerError(failure) && failure.reason._tag === "RouteNotFound") {
          return Effect.succeed(errorJson(404, "NotFound", "no such route; see /docs"))
        }
        const defect = cause.reasons.find(Cause.isDieReason)?.defect
        if (HttpApiError.HttpApiPayloadTooLarge.is(defect) || isBodyTooLarge(defect)) {
          return Effect.succeed(
            errorJson(413, "PayloadTooLarge", `request bodies are limited to ${Limits.bodyBytesMax} bytes`),
          )
        }
        return Effect.logError("request failed", cause).pipe(
          Effect.as(errorJson(500, internalError._tag, internalError.message)),
        )
      }),
    ),
  { global: true },
)

const isBodyTooLarge = (defect: unknown) =>
  HttpServerError.isHttpServerError(defect) &&
  defect.reason._tag === "RequestParseError" &&
  /maxBytes/i.test(String(defect.reason.cause))

/**
 * The status a request's log line shows. A request whose connection closed before the answer (the
 * client left, or Node answered 408 to a request that missed its deadline) ends with Effect's 499
 * response as its failure.
 */
const statusOf = (exit: Exit.Exit<HttpServerResponse.HttpServerResponse, unknown>) => {
  if (Exit.isSuccess(exit)) return exit.value.status
  const failure = Cause.squash(exit.cause)
  return HttpServerResponse.isHttpServerResponse(failure) ? failure.status : 500
}

/**
 * The request's id on its answer, whatever answers it, and on every log line of the request; its
 * log lines as `logged` lets through.
 */
const requestLog =
  (logged: RequestLog.RequestLog) =>
  <E, R>(httpApp: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const requestId = RequestId.of(request.headers["x-request-id"])
      const startedAtMs = Date.now()
      const identified = HttpEffect.appendPreResponseHandler((_request, response) =>
        Effect.succeed(HttpServerResponse.setHeader(response, "x-request-id", requestId)),
      ).pipe(
        Effect.andThen(
          logged.arrivals
            ? Effect.andThen(RequestLog.received(request.method, request.url, requestId), httpApp)
            : httpApp,
        ),
      )
      const logging = logged.answers
        ? Effect.onExit(identified, (exit) =>
            RequestLog.answered(
              logged,
              { requestId, method: request.method, url: request.url, startedAtMs },
              statusOf(exit),
            ),
          )
        : identified
      return Effect.annotateLogs(logging, "requestId", requestId)
    })

// -----------------------------------------------------------------------------
// The server
// -----------------------------------------------------------------------------

const loopback = new Set(["127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"])
export const isLoopback = (host: string) => loopback.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)

/** Listening beyond loopback without a token would open the ledger to the network. */
export class InsecureListen extends Schema.TaggedError<InsecureListen>()("InsecureListen", { host: Schema.String }) {
  override get message() {
    return `refusing to listen on ${this.host} without TALLY_API_TOKEN: set a token, or listen on 127.0.0.1`
  }
}

export const checkListen = (settings: ServerSettings): Effect.Effect<void, InsecureListen> =>
  isLoopback(settings.host) || Option.isSome(settings.apiToken)
    ? Effect.void
    : Effect.fail(new InsecureListen({ host: settings.host }))

export const routes = Layer.mergeAll(
  HttpApiBuilder.layer(TallyApi, { openapiPath: "/openapi.json" }).pipe(Layer.provide(jsonBodies.layer)),
  HttpApiScalar.layer(TallyApi, { path: "/docs", scalar: { authentication: { preferredSecurityScheme: "bearer" } } }),
  Console.routes,
  errorResponses,
  stoppingGuard,
).pipe(
  Layer.provide([
    LedgerHandlers,
    HoldsHandlers,
    CorrectionsHandlers,
    HistoryHandlers,
    SystemHandlers,
    EventHandlers,
    WebhookHandlers,
    AutoTopUpHandlers,
    RefillHandlers,
    RunsHandlers,
    GrantHandlers,
    PendingCreditHandlers,
    WalletHandlers,
  ]),
  Layer.provide(requestValidationLayer),
  Layer.provideMerge(Layer.succeed(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(Limits.bodyBytesMax))),
)

/** The service's rules, for the hot routes to apply as the app does. */
export const hotRules = (settings: ServerSettings, logged: RequestLog.RequestLog): HotRoutes.Rules => ({
  credentialMatches: Option.getOrUndefined(Option.map(settings.apiToken, tokenMatcher)),
  bodyBytesMax: Limits.bodyBytesMax,
  isJson: declaresJson,
  invalidBody: (issue) => invalidRequest("body", issue),
  retryAfterSeconds: Limits.retryAfterSeconds,
  internalError,
  logged,
})

/** The HTTP server on `host:port`; check the address with `checkListen` first. */
export const layer = (settings: ServerSettings) => {
  const nodeOptions = {
    maxHeaderSize: Limits.headerBytesMax,
    requestTimeout: Limits.requestTimeoutMs,
    headersTimeout: Limits.headersTimeoutMs,
    connectionsCheckingInterval: Limits.deadlineCheckIntervalMs,
  }
  // Routes, handlers and the docs page are built before the socket listens: Node drops a request
  // that arrives while no handler is attached, so a caller polling /health must never hit that gap.
  const guarded = Option.isNone(settings.apiToken) ? Layer.mergeAll(routes, crossSiteGuard) : routes
  const app = HttpRouter.toHttpEffect(guarded.pipe(Layer.provide(authorizationLayer(settings.apiToken)))).pipe(
    // Paths as documented, letter for letter: the router's defaults also took `/V1/...`, `//v1/...`, a
    // trailing slash, and `;ceiling=5` after a path as a query its route never reads.
    Effect.provideService(HttpRouter.RouterConfig, {
      ...FindMyWay.strictConfig,
      maxParamLength: Limits.pathParamLengthMax,
    }),
  )
  return Layer.unwrap(
    Effect.gen(function* () {
      const httpApp = yield* app
      const logged = yield* RequestLog.levels
      const hot = yield* HotRoutes.make(hotRules(settings, logged))
      const { requestDeadlineMs } = yield* Storage.Database
      Stopping.grace.ms = Math.min(
        Math.max(Limits.shutdownGraceMs, requestDeadlineMs + 1_000),
        Limits.shutdownGraceMsMax,
      )
      const server = NodeHttpServer.layerServer(() => HotRoutes.createServer(nodeOptions, hot), {
        host: settings.host,
        port: settings.port,
        gracefulShutdownTimeout: Stopping.grace.ms,
      })
      return HttpServer.serve(httpApp, requestLog(logged)).pipe(Layer.provideMerge(server))
    }),
  ).pipe(Layer.provideMerge(NodeHttpServer.layerHttpServices))
}
