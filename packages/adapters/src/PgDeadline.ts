import * as Net from "node:net"
import type { PgClient } from "@effect/sql-pg"
import * as Redacted from "effect/Redacted"

/**
 * A PostgreSQL connection that cannot hang. A partition or a stalled server closes no socket: TCP
 * retransmits what it sent for a quarter of an hour, and a connection with nothing in flight stays
 * open for ever. Node cannot set `TCP_USER_TIMEOUT`, and `@effect/sql-pg` bounds nothing but the
 * connection set-up, so the pool's sockets are made here (its `stream` option) and watched: one that
 * sent something and has not had its whole answer within `statementTimeoutMs` is destroyed, whether the
 * server was silent from the start or stopped in the middle of the answer. The driver then fails
 * the statement on it as a lost connection (which the store retries, or answers as of unknown outcome
 * after a COMMIT) and the pool opens another; the dead one is never used again. Idle connections carry
 * TCP keepalive. On the server, `lock_timeout` makes a statement queued behind a lock that a vanished
 * client holds answer before the watch would close its healthy connection.
 */

export interface Options {
  /**
   * The longest a connection may wait for the whole of an answer; also the connection set-up's
   * bound. A statement whose answer takes longer is given up on with its connection.
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

/** PostgreSQL's ReadyForQuery: the server has answered everything it was sent and waits for more. */
const readyForQuery = 0x5a
const messageHeaderBytes = 5
/** The frontend's SSLRequest, and the server's one-byte answer that it will speak TLS. */
const sslRequestCode = 80877103
const willSpeakTls = 0x53

/**
 * Where the server's answers stand, read from their framing alone (a type byte and a length, then the
 * body): whether the bytes so far end with a whole ReadyForQuery, so nothing more is owed until the
 * next write.
 */
const answerFraming = () => {
  // A header split across chunks is gathered here, a byte at a time.
  const header = new Uint8Array(messageHeaderBytes)
  let headerBytes = 0
  let bodyLeft = 0
  let lastType = 0
  const startMessage = (bytes: Uint8Array, at: number) => {
    lastType = bytes[at]!
    bodyLeft = ((bytes[at + 1]! << 24) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 8) | bytes[at + 4]!) - 4
  }
  return (chunk: Uint8Array): boolean => {
    for (let at = 0; at < chunk.length; ) {
      if (bodyLeft > 0) {
        const skipped = Math.min(bodyLeft, chunk.length - at)
        bodyLeft -= skipped
        at += skipped
      } else if (headerBytes === 0 && chunk.length - at >= messageHeaderBytes) {
        startMessage(chunk, at)
        at += messageHeaderBytes
      } else {
        header[headerBytes++] = chunk[at++]!
        if (headerBytes === messageHeaderBytes) {
          startMessage(header, 0)
          headerBytes = 0
        }
      }
    }
    return headerBytes === 0 && bodyLeft === 0 && lastType === readyForQuery
  }
}

const isSslRequest = (data: unknown) =>
  data instanceof Uint8Array && data.length === 8 && Buffer.from(data).readInt32BE(4) === sslRequestCode

/**
 * A socket destroyed once an answer it waits for has not come, whole, within `timeoutMs` of the
 * write that asked for it: a server silent from the start and one that stops in the middle of an
 * answer (a stopped backend, a partition after the first packet) are given up on alike. An answer is
 * whole at a ReadyForQuery; from then until the next write the socket owes nothing and is never
 * given up on (idle in the pool, or listening). A paused socket waits for its reader, not for the
 * server. Over TLS the framing cannot be read: once the server agrees to TLS the watch stops, and a
 * silent connection is keepalive's to find.
 */
export const watched = (socket: Net.Socket, timeoutMs: number): Net.Socket => {
  let waitingSince: number | undefined
  const answered = answerFraming()
  let awaitingSslAnswer = false
  let tls = false
  const onData = (chunk: Uint8Array) => {
    if (awaitingSslAnswer) {
      awaitingSslAnswer = false
      // The one-byte answer to SSLRequest is not a framed message.
      if (chunk[0] === willSpeakTls) {
        tls = true
        waitingSince = undefined
        socket.off("data", onData)
        return
      }
      waitingSince = undefined
      if (chunk.length === 1) return
      chunk = chunk.subarray(1)
    }
    if (answered(chunk)) waitingSince = undefined
  }
  let reading = false
  const write = socket.write
  socket.write = function (this: Net.Socket, ...args: Parameters<Net.Socket["write"]>) {
    if (!tls) {
      // Added at the first write, after the driver's own listener: it reads along, it takes nothing.
      // Only the first write can be an SSLRequest.
      if (!reading) {
        socket.on("data", onData)
        reading = true
        awaitingSslAnswer = isSslRequest(args[0])
      }
      waitingSince ??= performance.now()
    }
    return write.apply(this, args)
  } as Net.Socket["write"]
  const tick = watchTickMs(timeoutMs)
  const timer = setInterval(() => {
    if (waitingSince === undefined || socket.isPaused() || performance.now() - waitingSince < timeoutMs) return
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
