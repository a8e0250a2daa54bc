import * as Fs from "node:fs"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"
import { logSettings } from "./AppConfig.ts"

/**
 * The service logs one structured line per event (JSON by default, TALLY_LOG_FORMAT=logfmt|pretty),
 * at TALLY_LOG_LEVEL and above. Commands keep stdout for their output and log warnings to stderr.
 */

type Plain = string | number | boolean

const isPlain = (value: unknown): value is Plain =>
  typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))

/** A log line with nothing but a message and plain annotations: every request's line. */
export interface PlainLine {
  readonly message: string
  readonly level: LogLevel.LogLevel
  readonly date: Date
  readonly annotations: Readonly<Record<string, Plain>>
  readonly fiberId: number
}

/** A plain line as `Logger.formatJson` writes it. */
export const jsonLine = ({ message, level, date, annotations, fiberId }: PlainLine) =>
  JSON.stringify({
    message,
    level: level.toUpperCase(),
    timestamp: date.toISOString(),
    annotations,
    spans: {},
    fiberId: `#${fiberId}`,
  })

/**
 * `Logger.formatJson`'s line, written with a plain `JSON.stringify` when the line is plain: Effect's
 * formatter walks each value with a replacer (redaction, cycles, errors), which cost the service
 * about 10 µs of CPU per request. Any other line is Effect's formatter's.
 */
export const formatJson = Logger.make<unknown, string>((options) => {
  const { message, logLevel, cause, fiber, date } = options
  const text = Array.isArray(message) && message.length === 1 ? message[0] : message
  const annotations = fiber.getRef(References.CurrentLogAnnotations)
  const plain =
    typeof text === "string" &&
    cause.reasons.length === 0 &&
    fiber.getRef(References.CurrentLogSpans).length === 0 &&
    !Object.hasOwn(annotations, "__proto__") &&
    Object.values(annotations).every(isPlain)
  if (!plain) return Logger.formatJson.log(options)
  return jsonLine({
    message: text,
    level: logLevel,
    date,
    annotations: annotations as PlainLine["annotations"],
    fiberId: fiber.id,
  })
})

/**
 * The service's JSON log, for a line written without Effect's logger: the one line per request,
 * which through `Effect.log` (annotations, dispatch, formatting) cost about 20 µs of CPU per request.
 * Present only when the lines are JSON, and written to in order with every other line.
 */
export class JsonLog extends Context.Service<JsonLog, { readonly write: (line: PlainLine) => void }>()(
  "@tally/app/Logging/JsonLog",
) {}

/**
 * Lines leave the process in batches, one write to stdout per window, as Effect's `Logger.toFile`
 * writes: a write per line cost the service about a quarter of its CPU per request. A crash loses
 * at most the lines of the last window; the end of the scope writes them all.
 */
const flushWindowMs = 10

/**
 * Writes to stdout without ever stopping the service. Redirected to a file on a volume that fills up,
 * a line that finds no room is lost and the next one tries again (Node's own stream for a file would
 * throw its ENOSPC out of a timer, and is closed for good after one failure). A pipe whose reader went
 * away loses the lines that follow it.
 */
const stdoutWriter = (): ((text: string) => void) => {
  let isFile = false
  try {
    isFile = Fs.fstatSync(1).isFile()
  } catch {
    // No stdout at all: the console's stream copes.
  }
  if (!isFile) {
    process.stdout.on("error", () => {})
    // As Effect's console loggers write.
    return (text) => console.log(text)
  }
  return (text) => {
    const bytes = Buffer.from(`${text}\n`)
    try {
      for (let offset = 0; offset < bytes.length; ) offset += Fs.writeSync(1, bytes, offset)
    } catch {
      // Out of room (or the file is gone): this batch is lost, the next one tries again.
    }
  }
}

/**
 * The window's timer is set by its first line, not kept running: a service with nothing to log
 * wakes for nothing (an interval woke it 100 times a second).
 */
const batchedStdout = Effect.acquireRelease(
  Effect.sync(() => {
    const write = stdoutWriter()
    let lines: Array<string> = []
    let timer: ReturnType<typeof setTimeout> | undefined
    const flush = () => {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      if (lines.length === 0) return
      const text = lines.join("\n")
      lines = []
      write(text)
    }
    return {
      write: (line: string) => {
        lines.push(line)
        // Unreferenced: waiting lines never keep the process alive, and the release writes them.
        timer ??= setTimeout(flush, flushWindowMs).unref()
      },
      flush,
    }
  }),
  ({ flush }) => Effect.sync(flush),
)

export const serviceLayer = Layer.unwrap(
  Effect.gen(function* () {
    const { format, level } = yield* logSettings
    const minimumLevel = Layer.succeed(References.MinimumLogLevel, level)
    if (format === "pretty") return Layer.mergeAll(Logger.layer([Logger.consolePretty()]), minimumLevel)
    const stdout = yield* batchedStdout
    const formatter = format === "json" ? formatJson : Logger.formatLogFmt
    const logger = Logger.make((options) => stdout.write(formatter.log(options)))
    const jsonLog =
      format === "json" ? Layer.succeed(JsonLog, { write: (line) => stdout.write(jsonLine(line)) }) : Layer.empty
    return Layer.mergeAll(Logger.layer([logger]), minimumLevel, jsonLog)
  }),
)

export const commandLayer = Layer.mergeAll(
  Logger.layer([Logger.withConsoleError(Logger.formatLogFmt)]),
  Layer.succeed(References.MinimumLogLevel, "Warn"),
)
