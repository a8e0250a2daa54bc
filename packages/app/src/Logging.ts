import { Effect, Layer, Logger, References } from "effect"
import { logSettings } from "./AppConfig.ts"

/**
 * The service logs one structured line per event (JSON by default, TALLY_LOG_FORMAT=logfmt|pretty),
 * at TALLY_LOG_LEVEL and above. Commands keep stdout for their output and log warnings to stderr.
 */

/**
 * JSON and logfmt lines leave the process in batches, one write to stdout per window, as Effect's
 * `Logger.toFile` writes: a write per line cost the service about a quarter of its CPU per request.
 * A crash loses at most the lines of the last window; a shutdown writes them all.
 */
const flushWindow = "10 millis"

type Plain = string | number | boolean

const isPlain = (value: unknown): value is Plain =>
  typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))

/**
 * `Logger.formatJson`'s line, written with a plain `JSON.stringify` when it holds nothing but a
 * message and annotations that are strings, finite numbers or booleans, as every request's line
 * does: Effect's formatter walks each value with a replacer (redaction, cycles, errors), which cost
 * the service about 20 µs of CPU per request. Any other line is Effect's formatter's.
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
  return JSON.stringify({
    message: text,
    level: logLevel.toUpperCase(),
    timestamp: date.toISOString(),
    annotations,
    spans: {},
    fiberId: `#${fiber.id}`,
  })
})

const toStdout = (format: Logger.Logger<unknown, string>) =>
  Logger.batched(format, {
    window: flushWindow,
    flush: (lines) => Effect.sync(() => void process.stdout.write(`${lines.join("\n")}\n`)),
  })

export const serviceLayer = Layer.unwrap(
  Effect.gen(function* () {
    const { format, level } = yield* logSettings
    const logger =
      format === "json"
        ? toStdout(formatJson)
        : format === "logfmt"
          ? toStdout(Logger.formatLogFmt)
          : Logger.consolePretty()
    return Layer.mergeAll(Logger.layer([logger]), Layer.succeed(References.MinimumLogLevel, level))
  }),
)

export const commandLayer = Layer.mergeAll(
  Logger.layer([Logger.withConsoleError(Logger.formatLogFmt)]),
  Layer.succeed(References.MinimumLogLevel, "Warn"),
)
