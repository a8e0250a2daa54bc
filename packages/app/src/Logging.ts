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
        ? toStdout(Logger.formatJson)
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
