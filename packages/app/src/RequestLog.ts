import { Effect, LogLevel } from "effect"

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
}

/** What the minimum log level in force lets through. */
export const levels: Effect.Effect<RequestLog> = Effect.all({
  arrivals: LogLevel.isEnabled("Debug"),
  answers: LogLevel.isEnabled("Info"),
})

/** The path of a request target, without its query. */
export const pathOf = (url: string) => {
  const query = url.indexOf("?")
  return query === -1 ? url : url.slice(0, query)
}

/** The id, for a line logged outside the request's own annotations. */
const idOf = (requestId: string | undefined) => (requestId === undefined ? {} : { requestId })

export const received = (method: string, url: string, requestId?: string) =>
  Effect.logDebug("request received").pipe(Effect.annotateLogs({ ...idOf(requestId), method, path: pathOf(url) }))

export const answered = (method: string, url: string, status: number, startedAtMs: number, requestId?: string) =>
  Effect.logInfo("request").pipe(
    Effect.annotateLogs({
      ...idOf(requestId),
      method,
      path: pathOf(url),
      status,
      durationMs: Date.now() - startedAtMs,
    }),
  )
