import { Cause, Effect, Logger, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { formatJson } from "../src/Logging.ts"

/** Every line is logged through both formatters at once (same fiber, same instant), and must come out the same. */
const bothFormats = (program: Effect.Effect<void>) => {
  const ours: Array<string> = []
  const effects: Array<string> = []
  const capture = (into: Array<string>) => (line: string) => void into.push(line)
  Effect.runSync(
    program.pipe(
      Effect.provide(
        Logger.layer([Logger.map(formatJson, capture(ours)), Logger.map(Logger.formatJson, capture(effects))]),
      ),
    ),
  )
  return { ours, effects }
}

const requestLine = { requestId: "9f0c-1", method: "POST", path: "/v1/accounts/a/top-ups", status: 200, durationMs: 3 }

describe("the service's JSON log lines", () => {
  it("are the lines of Effect's JSON formatter, for plain lines and every other kind", () => {
    const { ours, effects } = bothFormats(
      Effect.gen(function* () {
        yield* Effect.logInfo("request").pipe(Effect.annotateLogs(requestLine))
        yield* Effect.logInfo("listening").pipe(Effect.annotateLogs({ url: "http://127.0.0.1:3000", ok: true }))
        yield* Effect.logWarning("no annotations")
        yield* Effect.logError("request failed", Cause.fail(new Error("boom")))
        yield* Effect.logInfo("in a span").pipe(Effect.withLogSpan("batch"))
        yield* Effect.logInfo("an object").pipe(Effect.annotateLogs({ detail: { nested: [1, "two"] } }))
        yield* Effect.logInfo("secret").pipe(Effect.annotateLogs({ token: Redacted.make("s3cret") }))
        yield* Effect.logInfo("big").pipe(Effect.annotateLogs({ count: 12n, ratio: Number.NaN }))
        yield* Effect.logInfo("proto").pipe(Effect.annotateLogs("__proto__", "x"))
        yield* Effect.logInfo("two", "messages")
        yield* Effect.logInfo({ structured: "message" })
        yield* Effect.logInfo('quotes " and \\ and \u2028 and é').pipe(Effect.annotateLogs({ text: '"\n\t' }))
      }),
    )

    expect(ours).toHaveLength(12)
    expect(ours).toEqual(effects)
    expect(JSON.parse(ours[0]!).annotations).toEqual(requestLine)
  })
})
