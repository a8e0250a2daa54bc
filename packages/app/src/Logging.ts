import { Effect, Layer, Logger, References } from "effect"
import { logSettings } from "./AppConfig.ts"

/**
 * The service logs one structured line per event (JSON by default, TALLY_LOG_FORMAT=logfmt|pretty),
 * at TALLY_LOG_LEVEL and above. Commands keep stdout for their output and log warnings to stderr.
 */
export const serviceLayer = Layer.unwrap(
  Effect.gen(function* () {
    const { format, level } = yield* logSettings
    const logger =
      format === "json" ? Logger.consoleJson : format === "logfmt" ? Logger.consoleLogFmt : Logger.consolePretty()
    return Layer.mergeAll(Logger.layer([logger]), Layer.succeed(References.MinimumLogLevel, level))
  }),
)

export const commandLayer = Layer.mergeAll(
  Logger.layer([Logger.withConsoleError(Logger.formatLogFmt)]),
  Layer.succeed(References.MinimumLogLevel, "Warn"),
)
