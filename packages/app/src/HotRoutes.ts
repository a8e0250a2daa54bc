import * as Http from "node:http"
import type { Duplex } from "node:stream"
import {
  type AccountId,
  type BalanceWriteResult,
  Ledger,
  TallyApi,
  type TopUpBody,
  WriteResponse,
  writeResponseParts,
} from "@tally/domain"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { HttpApi, type HttpApiEndpoint, type HttpApiGroup } from "effect/http-api"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import * as SchemaIssue from "effect/SchemaIssue"
import * as RequestId from "./RequestId.ts"
import * as RequestLog from "./RequestLog.ts"
import { isStopping } from "./Stopping.ts"
import * as WriteAnswer from "./WriteAnswer.ts"
import { writeBodyJson } from "./WriteBodyJson.ts"

/**
 * The three routes that carry nearly all of a ledger's traffic (top-ups, spends, balances), served
 * straight from node:http. Effect's HTTP stack (a fiber, the router, the middleware chain and
 * effectful codecs per request) cost the service about 100 µs of CPU per request more than this
 * handler does (on memory at 64 connections: 228 -> 134 µs; node:http alone answers JSON in 30).
 * Everything else is left to `TallyApi`'s app, and so is every request the app would not hand to
 * one of these endpoints' handlers.
 *
 * A request is taken only when its headers show that it reaches the handler in the app: the route
 * matches exactly, the browser guard and the token let it through, a write declares JSON and its
 * length (within the limit), and the path and headers decode with the endpoint's own schemas. Its
 * body is decoded with the endpoint's payload schema and the API's parse options, and the outcome
 * encoded with the endpoint's success and error schemas (a write's answer by `writeBodyJson`, which
 * gives the same text), so statuses, bodies and headers are the app's. One fiber per request runs the
 * ledger call and the request's log line; each answer is one `writeHead` and one `end`.
 */

/** What the service enforces on every request, as the app defines it. */
export interface Rules {
  /** With a token configured, whether a bearer credential is it; undefined without one. */
  readonly credentialMatches: ((credential: string) => boolean) | undefined
  readonly bodyBytesMax: number
  /** Whether a Content-Type header declares JSON. */
  readonly isJson: (contentType: string | undefined) => boolean
  /** The error a body that fails its schema answers with. */
  readonly invalidBody: (issue: SchemaIssue.Issue) => unknown
  /** Sent with every 503. */
  readonly retryAfterSeconds: number
  /** The body of a 500. */
  readonly internalError: { readonly _tag: string; readonly message: string }
  readonly logged: RequestLog.RequestLog
}

export interface HotRoutes {
  /** Answers the request and returns true, or returns false having touched nothing. */
  readonly take: (request: Http.IncomingMessage, response: Http.ServerResponse) => boolean
}

/** An answer, ready to write. */
interface Answer {
  readonly status: number
  readonly body: string
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** The status logged for a request whose client left before its answer, as Effect's server logs it. */
const clientClosedStatus = 499

const bearerPrefix = "Bearer "
/** Bodies are read as UTF-8, a byte-order mark dropped, as Effect's Node adapter reads them. */
const utf8 = new TextDecoder("utf-8", { fatal: true })
/** What `HttpApi` answers a body that is not JSON with. */
const notJson = new SchemaIssue.InvalidValue({ message: "Expected a valid JSON body" })
/**
 * JSON is UTF-8 (RFC 8259): a body with bytes that are not is refused, as the app's request validation
 * refuses it, where a lenient decoder would store U+FFFD in place of the caller's text.
 */
export const notUtf8 = new SchemaIssue.InvalidValue({ message: "Expected a valid JSON body in UTF-8" })

type Endpoint = HttpApiEndpoint.Top

const routerSyntax = /[/?#%]/

/** A route path with one parameter, `/prefix/:name/suffix`, matched without a router. */
const pathMatcher = (path: string) => {
  const parts = /^([^:]*):([A-Za-z]+)([^:]*)$/.exec(path)
  if (parts === null) throw new Error(`a hot route needs exactly one path parameter: ${path}`)
  const [, prefix = "", name = "", suffix = ""] = parts
  return (url: string): Record<string, string> | undefined => {
    if (url.length <= prefix.length + suffix.length || !url.startsWith(prefix) || !url.endsWith(suffix)) return
    const value = url.slice(prefix.length, url.length - suffix.length)
    // Queries, percent-encoding and further segments are for the router to interpret.
    if (routerSyntax.test(value)) return
    const params: Record<string, string> = {}
    params[name] = value
    return params
  }
}

/** The parse options `HttpApi` decodes and encodes a slot of an endpoint with. */
const parseOptions = (
  group: HttpApiGroup.Top,
  endpoint: Endpoint,
  slot: Context.Key<unknown, SchemaAST.ParseOptions>,
): SchemaAST.ParseOptions | undefined => {
  const annotations = Context.merge(Context.merge(TallyApi.annotations, group.annotations), endpoint.annotations)
  return Context.getOrUndefined(annotations, slot) ?? Context.getOrUndefined(annotations, HttpApi.ParseOptions)
}

/**
 * The status `HttpApi` answers with for a schema: its `httpApiStatus` annotation, or the one of the
 * key it was declared under (`HttpApiSchema.status` on an error class), else `HttpApi`'s default.
 */
const statusOf = (schema: Schema.Top, fallback: number): number =>
  SchemaAST.resolveAt<number>("httpApiStatus")(schema.ast) ??
  (schema.ast.context?.annotations?.httpApiStatus as number | undefined) ??
  fallback

const decoder = (schema: Schema.Top | undefined, options: SchemaAST.ParseOptions | undefined) => {
  if (schema === undefined) throw new Error("a hot route's slot has no schema")
  return Schema.decodeUnknownResult(schema as Schema.Codec<unknown, unknown>, options)
}

/**
 * A payload decoded as `HttpApi` decodes it, with the union of the endpoint's payload schemas. A union
 * of one schema cost each body about 1.5 µs more than that schema alone (a candidate search per input)
 * and answers the same, issues included (`test/e2e/hot-routes.test.ts` compares every bad body's
 * answer with the app's), so one schema is decoded alone.
 */
const payloadDecoder = (schemas: ReadonlyArray<Schema.Top>, options: SchemaAST.ParseOptions | undefined) =>
  decoder(schemas.length === 1 ? schemas[0] : Schema.Union(schemas), options)

/** Encodes the errors an endpoint declares as `HttpApi` does; undefined for an error it does not declare. */
const errorEncoder = (group: HttpApiGroup.Top, endpoint: Endpoint, retryAfterSeconds: number) => {
  const options = parseOptions(group, endpoint, HttpApi.ErrorParseOptions)
  const members = [...endpoint.error].map((schema) => ({
    is: Schema.is(schema),
    encode: Schema.encodeUnknownSync(schema as Schema.Codec<unknown, unknown>, options),
    status: statusOf(schema, 500),
  }))
  // The API's errors are tagged, one schema per tag: each tag's schema is looked for once.
  const byTag = new Map<unknown, (typeof members)[number]>()
  return (error: unknown): Answer | undefined => {
    const tag = (error as { readonly _tag?: unknown } | null)?._tag
    const member = byTag.get(tag) ?? members.find((candidate) => candidate.is(error))
    if (member === undefined) return undefined
    if (tag !== undefined) byTag.set(tag, member)
    const body = JSON.stringify(member.encode(error))
    const headers = member.status === 503 ? { "retry-after": String(retryAfterSeconds) } : undefined
    return { status: member.status, body, headers }
  }
}

/**
 * Reads a body whose length its headers gave, then hands over its text, undefined when it is not UTF-8;
 * a request cut off is dropped.
 */
const readBody = (request: Http.IncomingMessage, done: (text: string | undefined) => void) => {
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", () => done(textOf(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))))
  // A client that leaves before its body is complete asked for nothing.
  request.on("error", () => {})
}

const textOf = (bytes: Buffer) => {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

/** A body length the headers declare, within the limit; undefined when the app must judge the body. */
const declaredLength = (headers: Http.IncomingHttpHeaders, bytesMax: number) => {
  const text = headers["content-length"]
  if (text === undefined || headers["transfer-encoding"] !== undefined || !/^[0-9]{1,9}$/.test(text)) return
  const bytes = Number(text)
  return bytes >= 1 && bytes <= bytesMax ? bytes : undefined
}

interface Decoded {
  readonly params: Record<string, unknown>
  readonly headers: Record<string, unknown>
}

/** One hot endpoint: how it is recognised, decoded and answered. */
interface Route {
  readonly method: string
  readonly match: (url: string) => Record<string, string> | undefined
  readonly decodeParams: (input: unknown) => Result.Result<unknown, Schema.SchemaError>
  readonly decodeHeaders: ((input: unknown) => Result.Result<unknown, Schema.SchemaError>) | undefined
  readonly decodePayload: ((input: unknown) => Result.Result<unknown, Schema.SchemaError>) | undefined
  readonly answer: (decoded: Decoded, payload: unknown) => Effect.Effect<Answer, unknown>
  /** The answer to one of the endpoint's errors. */
  readonly refuse: (error: unknown) => Answer
}

export const make = (rules: Rules) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger
    const context = yield* Effect.context<never>()
    // Requests still running when the server's graceful shutdown is over end with it.
    const scope = yield* Effect.scope
    const group = TallyApi.groups.ledger as unknown as HttpApiGroup.Top
    const { topUp, spend, balance } = TallyApi.groups.ledger.endpoints

    const route = (
      endpoint: Endpoint,
      answer: (
        decoded: Decoded,
        payload: unknown,
        refuse: (error: unknown) => Answer,
      ) => Effect.Effect<Answer, unknown>,
    ): Route => {
      const payload = endpoint.payload.get("application/json")
      const encodeError = errorEncoder(group, endpoint, rules.retryAfterSeconds)
      // `HttpApi` dies on an error the endpoint does not declare: a bug, answered 500.
      const refuse = (error: unknown) => {
        const encoded = encodeError(error)
        if (encoded === undefined) throw new Error(`${endpoint.identifier} failed with an error it does not declare`)
        return encoded
      }
      return {
        method: endpoint.method,
        match: pathMatcher(endpoint.path),
        decodeParams: decoder(endpoint.params, parseOptions(group, endpoint, HttpApi.ParamsParseOptions)),
        decodeHeaders:
          endpoint.headers === undefined
            ? undefined
            : decoder(endpoint.headers, parseOptions(group, endpoint, HttpApi.HeadersParseOptions)),
        decodePayload:
          payload === undefined
            ? undefined
            : payloadDecoder(payload.schemas, parseOptions(group, endpoint, HttpApi.PayloadParseOptions)),
        answer: (decoded, body) =>
          answer(decoded, body, refuse).pipe(Effect.catch((error) => Effect.sync(() => refuse(error)))),
        refuse,
      }
    }

    const writeStatus = statusOf(WriteResponse, 200)
    const writeRoute = (endpoint: Endpoint, tag: "TopUp" | "Spend") =>
      route(endpoint, ({ params, headers }, payload, refuse) =>
        ledger
          // Decoded with the endpoint's schemas, which are the domain's: the ledger need not check them again.
          .writeDecoded(
            WriteAnswer.requestOf(
              tag as "TopUp",
              params.accountId as AccountId,
              payload as typeof TopUpBody.Type,
              headers,
            ),
          )
          .pipe(Effect.map((result) => writeAnswer(result, refuse))),
      )
    const writeAnswer = (result: BalanceWriteResult, refuse: (error: unknown) => Answer): Answer => {
      if (result._tag === "Refused") {
        const refused = refuse(result.error)
        return result.replayed
          ? { ...refused, headers: { ...refused.headers, "idempotent-replayed": "true" } }
          : refused
      }
      const { body, headers } = writeResponseParts(WriteAnswer.responseOf(result))
      // As `HttpApi` encodes a success with headers: the body as its JSON codec does, the headers as they are.
      return { status: writeStatus, body: writeBodyJson(body), headers }
    }

    const [balanceSuccess] = balance.success
    const encodeBalance = Schema.encodeUnknownSync(balanceSuccess as Schema.Codec<unknown, unknown>)
    const balanceStatus = statusOf(balanceSuccess!, 200)
    const balanceRoute = route(balance as unknown as Endpoint, ({ params }) => {
      const accountId = params.accountId as string
      return Effect.map(ledger.writtenBalances(accountId), (balances) => ({
        status: balanceStatus,
        body: JSON.stringify(encodeBalance({ accountId, ...balances })),
      }))
    })

    const routes: ReadonlyArray<Route> = [
      writeRoute(topUp as unknown as Endpoint, "TopUp"),
      writeRoute(spend as unknown as Endpoint, "Spend"),
      balanceRoute,
    ]

    const send = (response: Http.ServerResponse, answer: Answer, requestId: string) => {
      if (response.destroyed) return clientClosedStatus
      const headers: Http.OutgoingHttpHeaders = {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(answer.body),
        "x-request-id": requestId,
        ...answer.headers,
      }
      // Said only while stopping: a hot path's answer allocates nothing more for it.
      if (isStopping()) headers.connection = "close"
      response.writeHead(answer.status, headers)
      response.end(answer.body)
      return answer.status
    }

    const internalError = { status: 500, body: JSON.stringify(rules.internalError) }

    /** The request's fiber: its answer, written as soon as it is known, then its log line. */
    const respond = (
      request: Http.IncomingMessage,
      response: Http.ServerResponse,
      requestId: string,
      startedAtMs: number,
      answer: Effect.Effect<Answer, unknown>,
    ) => {
      const answered = answer.pipe(
        Effect.catchCause((cause) =>
          Effect.logError("request failed", cause).pipe(
            Effect.annotateLogs("requestId", requestId),
            Effect.as(internalError),
          ),
        ),
        Effect.map((answer) => send(response, answer, requestId)),
      )
      const logged = rules.logged.answers
        ? Effect.flatMap(answered, (status) =>
            RequestLog.answered(
              rules.logged,
              { requestId, method: request.method!, url: request.url!, startedAtMs },
              status,
            ),
          )
        : answered
      run(logged)
    }

    const run = (effect: Effect.Effect<unknown>) => {
      const fiber = Effect.runForkWith(context)(effect)
      if (fiber.pollUnsafe() === undefined) Fiber.runIn(fiber, scope)
    }

    /** The route a request's method and path name, and the path's parameter as it came. */
    const routeOf = (request: Http.IncomingMessage) => {
      for (const route of routes) {
        if (route.method !== request.method) continue
        const rawParams = route.match(request.url ?? "")
        if (rawParams !== undefined) return { route, rawParams }
      }
      return undefined
    }

    /** Whether the app's guards let the request through to a handler: the browser guard or the token. */
    const admitted = ({ headers }: Http.IncomingMessage) => {
      if (rules.credentialMatches === undefined) {
        return headers["sec-fetch-site"] === undefined && headers.origin === undefined
      }
      const authorization = headers.authorization
      return (
        authorization?.startsWith(bearerPrefix) === true &&
        rules.credentialMatches(authorization.slice(bearerPrefix.length))
      )
    }

    /** Whether the request's body is one the app reads as the route's: JSON of a declared length, or none. */
    const framed = (route: Route, { headers }: Http.IncomingMessage) =>
      route.decodePayload === undefined
        ? headers["transfer-encoding"] === undefined && (headers["content-length"] ?? "0") === "0"
        : rules.isJson(headers["content-type"]) && declaredLength(headers, rules.bodyBytesMax) !== undefined

    const take = (request: Http.IncomingMessage, response: Http.ServerResponse) => {
      const found = routeOf(request)
      // Once the process stops, the app refuses new requests: one place says how.
      if (found === undefined || isStopping() || !admitted(request) || !framed(found.route, request)) return false
      const { route, rawParams } = found
      const { headers } = request
      const params = route.decodeParams(rawParams)
      if (Result.isFailure(params)) return false
      const decodedHeaders = route.decodeHeaders === undefined ? Result.succeed({}) : route.decodeHeaders(headers)
      if (Result.isFailure(decodedHeaders)) return false

      const given = headers["x-request-id"]
      const requestId = RequestId.of(typeof given === "string" ? given : undefined)
      const startedAtMs = Date.now()
      if (rules.logged.arrivals) run(RequestLog.received(request.method!, request.url!, requestId))
      const decoded = {
        params: params.success as Record<string, unknown>,
        headers: decodedHeaders.success as Record<string, unknown>,
      }
      const { decodePayload, answer, refuse } = route
      if (decodePayload === undefined) {
        respond(request, response, requestId, startedAtMs, answer(decoded, undefined))
        return true
      }
      readBody(request, (text) => {
        const payload = payloadOf(decodePayload, text)
        const answered = Result.isSuccess(payload)
          ? answer(decoded, payload.success)
          : Effect.sync(() => refuse(rules.invalidBody(payload.failure)))
        respond(request, response, requestId, startedAtMs, answered)
      })
      return true
    }

    return { take } satisfies HotRoutes
  })

/** A body as `HttpApi` decodes a JSON payload: empty is undefined, anything else must parse. */
const payloadOf = (
  decode: (input: unknown) => Result.Result<unknown, Schema.SchemaError>,
  text: string | undefined,
): Result.Result<unknown, SchemaIssue.Issue> => {
  if (text === undefined) return Result.fail(notUtf8)
  let json: unknown
  if (text !== "") {
    try {
      json = JSON.parse(text)
    } catch {
      return Result.fail(notJson)
    }
  }
  return Result.mapError(decode(json), (error) => error.issue)
}

/**
 * A node:http server that offers each request to the hot routes first and emits it to its
 * `request` listeners, the Effect app's, when they decline it. The hot routes serve only while the
 * app does: before it listens and once its shutdown has removed it, requests are its alone.
 */
export const createServer = (options: Http.ServerOptions, hot: HotRoutes): Http.Server =>
  new (class extends Http.Server {
    override emit(event: string, ...args: Array<unknown>): boolean {
      if (
        event === "request" &&
        this.listenerCount("request") > 0 &&
        hot.take(args[0] as Http.IncomingMessage, args[1] as Http.ServerResponse)
      ) {
        return true
      }
      return super.emit(event, ...args)
    }
  })(options).on("clientError", answerClientError)

/** What node:http refuses before any route sees the request: its status, and a tag and message of ours. */
const clientErrorOf = (code: string | undefined) =>
  code === "HPE_HEADER_OVERFLOW"
    ? { status: 431, _tag: "RequestHeadersTooLarge", message: "the request's headers are over 16 KiB" }
    : code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? { status: 408, _tag: "RequestTimeout", message: "the request did not arrive in time" }
      : { status: 400, _tag: "InvalidRequest", message: `the request is not valid HTTP/1.1 (${code ?? "unknown"})` }

/**
 * node:http answers a request it cannot parse, or that comes too slowly, with an empty body; this answers
 * it as every other error is answered, JSON with `_tag` and `message`, and closes the connection as Node does.
 */
const answerClientError = (error: NodeJS.ErrnoException, socket: Duplex) => {
  // An answer already on its way on this connection would be corrupted by another: Node checks the same.
  const answering = (socket as { readonly _httpMessage?: Http.ServerResponse })._httpMessage?.headersSent === true
  if (error.code === "ECONNRESET" || !socket.writable || answering) return socket.destroy()
  const { status, ...body } = clientErrorOf(error.code)
  const text = JSON.stringify(body)
  socket.end(
    `HTTP/1.1 ${status} ${Http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  )
}
