import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { SqlError } from "effect/sql"

/**
 * What a failed PostgreSQL operation means for a write: whether it may be retried, and whether the
 * failure says anything about the data of the operation that caused it.
 */

/** PostgreSQL's SQLSTATE of the failure; a socket's own codes (ECONNRESET...) are not one. */
const sqlState = (error: SqlError.SqlError): string | undefined => {
  const code = (error.reason.cause as { readonly code?: unknown } | undefined)?.code
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/**
 * Server states that end or refuse sessions: the backend was terminated (57P01), the server is
 * crashing or restarting (57P02, 57P03), out of connections (53300), a connection failure (08), or
 * the server is a standby that cannot write (25006: a failover is under way, or a proxy still routes
 * to the old primary). None of them wrote anything.
 */
const sessionLost = new Set(["57P01", "57P02", "57P03", "53300", "25006"])

/**
 * The session is gone or could not be opened: a statement on a fresh connection may succeed. A
 * COMMIT that failed this way may or may not have been applied.
 */
export const isConnectionLoss = (error: SqlError.SqlError): boolean => {
  const code = sqlState(error)
  return (
    error.reason._tag === "ConnectionError" || (code !== undefined && (sessionLost.has(code) || code.startsWith("08")))
  )
}

/** The transaction lost to a concurrent one and was rolled back: running it again may succeed. */
export const isContention = (error: SqlError.SqlError): boolean =>
  error.reason._tag === "SerializationError" ||
  error.reason._tag === "DeadlockError" ||
  error.reason._tag === "LockTimeoutError"

export const isTransient = (error: SqlError.SqlError): boolean => isConnectionLoss(error) || isContention(error)

/** PostgreSQL refused a value (class 22, data exception): the operation that carried it is at fault. */
export const isDataError = (error: SqlError.SqlError): boolean => sqlState(error)?.startsWith("22") === true

/** The server's resources that ran out, by SQLSTATE: an operator has to act, so the answer names it. */
const exhausted: Readonly<Record<string, string>> = {
  "53100": "the database's disk is full",
  "53200": "the database is out of memory",
}

/** What kind of failure, for callers and the log: never the statement, its data or an address. */
export const describe = (error: SqlError.SqlError): string => {
  const code = sqlState(error)
  if (code === undefined) return error.reason._tag
  const cause = exhausted[code]
  return cause === undefined ? `${error.reason._tag} ${code}` : `${error.reason._tag} ${code}: ${cause}`
}

/**
 * `withTransaction` turns a ROLLBACK that fails on a dead connection into a defect. A SQL error is
 * a failure of the storage, never a bug: bring such defects back into the error channel.
 */
export const recoverSqlDefects = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, E | SqlError.SqlError, R> =>
  Effect.catchCause(effect, (cause): Effect.Effect<never, E | SqlError.SqlError> => {
    const defect = cause.reasons.find(Cause.isDieReason)?.defect
    return SqlError.isSqlError(defect) ? Effect.fail(defect) : Effect.failCause(cause)
  })
