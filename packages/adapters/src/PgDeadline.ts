import * as Net from "node:net"
import type { PgClient } from "@effect/sql-pg"
import * as Redacted from "effect/Redacted"

/**
 * A PostgreSQL connection that cannot hang. A partition or a stalled server closes no socket: TCP
 * retransmits what it sent for a quarter of an hour, and a connection with nothing in flight stays
 * open for ever. Node cannot set `TCP_USER_TIMEOUT`, and `@effect/sql-pg` bounds nothing but the
 * connection set-up, so the pool's sockets are made here (its `stream` option) and watched: one that
 * sent something and has heard nothing for `statementTimeoutMs` is destroyed. The driver then fails
 * the statement on it as a lost connection (which the store retries, or answers as of unknown outcome
 * after a COMMIT) and the pool opens another; the dead one is never used again. Idle connections carry
 * TCP keepalive. On the server, `lock_timeout` makes a statement queued behind a lock that a vanished
 * client holds answer before the watch would close its healthy connection.
 */

export interface Options {
  /**
   * The longest a connection may wait for the first byte of an answer; also the connection set-up's
   * bound. A statement that runs longer in silence is given up on with its connection.
   */
  readonly statementTimeoutMs: number
}

export const defaults: Options = { statementTimeoutMs: 5_000 }

/** Where the pool connects: its own fields first, as the driver reads them, then the URL's. */
interface Target {
  readonly url?: string | Redacted.Redacted<string> | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly path?: string | undefined
  readonly stream?: unknown
}

const tcpAddress = (target: Target): { readonly host: string; readonly port: number } | undefined => {
  // A Unix socket or a stream of the caller's own is left as it is: neither crosses a network.
  if (target.path !== undefined || target.stream !== undefined) return undefined
  const raw =
    target.url === undefined ? undefined : typeof target.url === "string" ? target.url : Redacted.value(target.url)
  const url = raw === undefined ? undefined : new URL(raw)
  const host =
    target.host ?? url?.searchParams.get("host") ?? (url?.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost")
  if (host.startsWith("/") || host.includes(",")) return undefined
  return { host, port: target.port ?? (url?.port ? Number(url.port) : 5432) }
}

/**
 * How often a watched socket is checked: how late past `timeoutMs` it may be given up on. Short
 * enough that a request's deadline (`PgRequestDeadline`) keeps room for a stage within the backoff
 * pause it counts, even with no retry budget.
 */
export const watchTickMs = (timeoutMs: number): number => Math.max(10, Math.min(250, Math.floor(timeoutMs / 20)))

/**
 * A socket destroyed once it has waited `timeoutMs` for an answer. The wait starts at a write that
 * follows the last byte read; any byte read ends it (an answer is on its way: a silence mid-answer is
 * keepalive's to find). A paused socket waits for its reader, not for the server.
 */
export const watched = (socket: Net.Socket, timeoutMs: number): Net.Socket => {
  let waitingSince: number | undefined
  let readMark = socket.bytesRead
  const write = socket.write
  socket.write = function (this: Net.Socket, ...args: Parameters<Net.Socket["write"]>) {
    // A write after an answer began starts a new wait, whether or not a tick has seen that answer.
    if (waitingSince === undefined || socket.bytesRead !== readMark) {
      waitingSince = performance.now()
      readMark = socket.bytesRead
    }
    return write.apply(this, args)
  } as Net.Socket["write"]
  const tick = watchTickMs(timeoutMs)
  const timer = setInterval(() => {
    if (waitingSince === undefined) return
    if (socket.bytesRead !== readMark) {
      waitingSince = undefined
      return
    }
    if (socket.isPaused() || performance.now() - waitingSince < timeoutMs) return
    socket.destroy(new Error(`PostgreSQL did not answer within ${timeoutMs} ms`))
  }, tick)
  // The watch must not keep a process alive that has nothing else to do.
  timer.unref()
  socket.once("close", () => clearInterval(timer))
  return socket
}

/**
 * The pool settings that bound every wait on `target`: the watched sockets, the set-up's timeout,
 * keepalive, and the session's `lock_timeout` (to add to its `startupParameters`).
 */
export const poolSettings = (
  target: Target,
  options: Options = defaults,
): Pick<PgClient.PgClientConfig, "stream" | "connectTimeout" | "keepAlive"> => {
  const address = tcpAddress(target)
  const keepAlive = `${Math.max(1, Math.ceil(options.statementTimeoutMs / 1000))} seconds` as const
  return {
    connectTimeout: `${options.statementTimeoutMs} millis`,
    keepAlive,
    ...(address === undefined
      ? {}
      : {
          stream: () =>
            watched(
              Net.connect({
                ...address,
                noDelay: true,
                keepAlive: true,
                keepAliveInitialDelay: Math.max(1_000, options.statementTimeoutMs),
              }),
              options.statementTimeoutMs,
            ),
        }),
  }
}

/**
 * Session settings beside the store's: a statement waits for a row lock for at most half the
 * deadline, then fails as a lost contention (retried), so only a silent server closes a connection;
 * a transaction whose client went silent (its connection given up on, the server never told) ends
 * after twice the deadline, releasing the account locks that the writes after it wait for.
 */
export const sessionParameters = (options: Options = defaults) => ({
  lock_timeout: `${Math.max(1, Math.floor(options.statementTimeoutMs / 2))}ms`,
  idle_in_transaction_session_timeout: `${Math.max(1_000, 2 * options.statementTimeoutMs)}ms`,
})
