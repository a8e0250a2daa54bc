import * as Effect from "effect/Effect"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import { JsonLog } from "./Logging.ts"

/**
 * The service's log of requests: a line when a request arrives (at Debug) and one when it is
 * answered (at Info), both carrying its id. The levels are looked up once, when the server is
 * built, so a request whose lines the level filters out builds none of them.
 */

export interface RequestLog {
  /** Whether the Debug line of an arriving request is logged. */
  readonly arrivals: boolean
  /** Whether the Info line of an answered request is logged. */
  readonly answers: boolean
  /** The service's JSON log, when its lines are JSON: an answered request's line is written there directly. */
  readonly json: Option.Option<JsonLog["Service"]>
}

/** What the minimum log level in force lets through, and where lines go. */
export const levels: Effect.Effect<RequestLog> = Effect.all({
  arrivals: LogLevel.isEnabled("Debug"),
  answers: LogLevel.isEnabled("Info"),
  json: Effect.serviceOption(JsonLog),
})

/** The path of a request target, without its query. */
export const pathOf = (url: string) => {
  const query = url.indexOf("?")
  return query === -1 ? url : url.slice(0, query)
}

export const received = (method: string, url: string, requestId: string) =>
  Effect.logDebug("request received").pipe(Effect.annotateLogs({ requestId, method, path: pathOf(url) }))

export const answered = (
  log: RequestLog,
  request: { readonly requestId: string; readonly method: string; readonly url: string; readonly startedAtMs: number },
  status: number,
) => {
  const annotations = {
    requestId: request.requestId,
    method: request.method,
    path: pathOf(request.url),
    status,
    durationMs: Date.now() - request.startedAtMs,
  }
  if (Option.isNone(log.json)) return Effect.logInfo("request").pipe(Effect.annotateLogs(annotations))
  const json = log.json.value
  return Effect.withFiber((fiber) => {
    json.write({ message: "request", level: "Info", date: new Date(), annotations, fiberId: fiber.id })
    return Effect.void
  })
}
