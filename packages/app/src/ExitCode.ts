import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"

/** What a `tally` process's exit status tells a script. */
export const ExitCode = {
  success: 0,
  /** Storage unavailable, a busy data directory, anything unexpected. */
  failure: 1,
  /** Arguments, flags, configuration or request values that fail validation; nothing was written. */
  badInput: 2,
  /** The ledger refused the operation by its rules (ceiling, insufficient credits, idempotency conflict...). */
  ruleRejection: 3,
  /** `tally audit` found violations. */
  auditViolations: 4,
  /** A signal (Ctrl-C, SIGTERM) cut the command short: a write it was making may or may not have been made. */
  interrupted: 130,
} as const

const ruleRejections = new Set([
  "BalanceAtCeiling",
  "InsufficientCredits",
  "BalanceLimitExceeded",
  "IdempotencyConflict",
  "OverdraftLimitBelowDebt",
  "WebhookEndpointNotFound",
  "WebhookEndpointLimitReached",
  "HoldNotFound",
  "HoldNotOpen",
  "HoldExpired",
  "HeldLimitExceeded",
  "EntryNotFound",
  "EntryNotRefundable",
  "RefundExceedsEntry",
  "AutoTopUpRequestNotFound",
  "AutoTopUpRequestNotOpen",
  "AutoTopUpRequestExpired",
  "PendingCreditNotFound",
  "PendingCreditNotPending",
  "PendingCreditExpired",
  "MemberLimitExceeded",
])

const badInput = new Set([
  "InvalidRequest",
  "ConfigError",
  "InsecureListen",
  "AutoTopUpCeilingBelowThreshold",
  "PendingCreditMetadataInvalid",
])

const tagOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : "InternalError"

export const exitCodeOf = (error: unknown): number => {
  const tag = tagOf(error)
  if (ruleRejections.has(tag)) return ExitCode.ruleRejection
  if (badInput.has(tag)) return ExitCode.badInput
  return ExitCode.failure
}

/** The error's message; an error that has none (a failed listen) says what its cause says. */
const messageOf = (error: unknown): string => {
  if (error instanceof Error && error.message !== "") return error.message
  const cause = typeof error === "object" && error !== null ? (error as { readonly cause?: unknown }).cause : undefined
  if (cause !== undefined && cause !== error) return messageOf(cause)
  return error instanceof Error ? tagOf(error) : String(error)
}

/**
 * A storage error's message with what its causes add: the driver says "Failed to connect" alike for a
 * refused port, an unknown host, a missing database and a wrong password; its cause says which.
 */
const storageMessageOf = (error: unknown): string => {
  const messages: Array<string> = []
  for (let at = error, depth = 0; typeof at === "object" && at !== null && depth < 8; depth++) {
    const message = at instanceof Error ? at.message : ""
    if (message !== "" && !messages.some((said) => said.includes(message))) messages.push(message)
    at = (at as { readonly cause?: unknown }).cause
  }
  return messages.length === 0 ? messageOf(error) : messages.join(": ")
}

/** Why the HTTP server could not listen, with what to do about the common case. */
const describeListen = (error: unknown) => {
  const cause = (error as { readonly cause?: NodeJS.ErrnoException & { address?: string; port?: number } }).cause
  if (cause?.code === "EADDRINUSE") {
    return `cannot listen on ${cause.address}:${cause.port}: the port is in use; stop what listens there, or choose another port (PORT or --port)`
  }
  return `cannot listen: ${messageOf(error)}`
}

const storageErrors = new Set([
  "SqlError",
  "MigrationError",
  "EmbeddedPostgresError",
  "LedgerUnavailable",
  "OutcomeUnknown",
])

/** Errors whose values a script may act on: the rule's numbers, the write's account and key. */
const withValues = new Set([...ruleRejections, "OutcomeUnknown"])

/**
 * The error as a script reads it: `{ _tag, message, ...values }`. The storage's own failures (the
 * driver's, the migrations', the embedded server's) are all `LedgerUnavailable` to a script.
 */
export const errorJson = (error: unknown) => {
  const tag = tagOf(error)
  const values = typeof error === "object" && error !== null && withValues.has(tag) ? { ...(error as object) } : {}
  const shown = storageErrors.has(tag) && tag !== "OutcomeUnknown" ? "LedgerUnavailable" : tag
  const message = storageErrors.has(tag) ? storageMessageOf(error) : messageOf(error)
  return { _tag: shown, message, ...values }
}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** `PORT: Expected ...`: the variable first, then what was wrong with it. */
const describeConfig = (error: unknown) => {
  const cause = (error as { readonly cause?: unknown }).cause
  if (!Schema.isSchemaError(cause)) return messageOf(error)
  return formatIssues(cause.issue)
    .issues.map((issue) => {
      const path = (issue.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment))
      return path.length === 0 ? issue.message : `${path.join(".")}: ${issue.message}`
    })
    .join("; ")
}

const describe = (error: unknown) => {
  const tag = tagOf(error)
  if (ruleRejections.has(tag)) return `rejected (${tag}): ${messageOf(error)}`
  if (tag === "ConfigError") return `invalid configuration: ${describeConfig(error)}`
  if (storageErrors.has(tag)) {
    const message = storageMessageOf(error)
    return message.startsWith("storage unavailable") ? message : `storage unavailable: ${message}`
  }
  if (tag === "InvalidRequest") return `invalid input: ${messageOf(error)}`
  if (tag === "ServeError") return describeListen(error)
  if (tag === "InternalError") return `unexpected error: ${Cause.pretty(Cause.die(error))}`
  return messageOf(error)
}

/** How a refusal that repeats an earlier write's, under the same idempotency key, is told apart. */
const replayNote = " (replay of the refusal recorded for this idempotency key: its values are as they were then)"

/**
 * Prints a command's failure (JSON on stdout with `--json`, a sentence on stderr otherwise) and
 * sets the exit code. An interruption (Ctrl-C, SIGTERM) stays one. A `replayed` refusal says so
 * (`"replayed": true` in JSON), as HTTP's `Idempotent-Replayed: true` does.
 */
export const render = (cause: Cause.Cause<unknown>, json: boolean, replayed = false) => {
  if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
  const error = Cause.squash(cause)
  return Effect.sync(() => {
    if (json) console.log(JSON.stringify({ ...errorJson(error), ...(replayed ? { replayed } : {}) }, null, 2))
    else console.error(`tally: ${describe(error)}${replayed ? replayNote : ""}`)
    process.exitCode = exitCodeOf(error)
  })
}
