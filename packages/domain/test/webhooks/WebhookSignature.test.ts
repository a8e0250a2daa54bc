import { createHmac } from "node:crypto"
import { fc, test } from "@fast-check/vitest"
import { Effect } from "effect"
import { Mac, SecureRandom } from "effect/crypto"
import { describe, expect } from "vitest"
import { defaultRetryPolicy, Limits, nextAttemptAtMs, WebhookSignature } from "../../src/index.ts"

const run = <A, E>(effect: Effect.Effect<A, E, Mac.Mac>) =>
  Effect.runPromise(effect.pipe(Effect.provide(Mac.layerWebCrypto), Effect.provide(SecureRandom.layerWebCrypto)))

const secret = fc.stringMatching(/^[\x21-\x7E]{16,64}$/)
const body = fc.json()
const seconds = fc.integer({ min: 0, max: 4_000_000_000 })

describe("the Tally-Signature header", () => {
  test.prop([secret, seconds, body])(
    "is t=<seconds>,v1=<hex HMAC-SHA256 of t.body>, as any HMAC library computes it",
    async (key, t, text) => {
      const header = await run(WebhookSignature.sign(key, t, text))
      const expected = createHmac("sha256", key).update(`${t}.${text}`).digest("hex")
      expect(header).toBe(`t=${t},v1=${expected}`)
    },
  )

  test.prop([secret, seconds, body])("verifies what it signed, within the tolerance", async (key, t, text) => {
    const header = await run(WebhookSignature.sign(key, t, text))
    expect(await run(WebhookSignature.verify(key, header, text, t + Limits.webhookSignatureToleranceSeconds))).toBe(
      "valid",
    )
  })

  test.prop([secret, secret, seconds, body])("refuses another secret or another body", async (key, other, t, text) => {
    fc.pre(key !== other)
    const header = await run(WebhookSignature.sign(key, t, text))
    expect(await run(WebhookSignature.verify(other, header, text, t))).toBe("mismatch")
    expect(await run(WebhookSignature.verify(key, header, `${text} `, t))).toBe("mismatch")
  })

  test.prop([secret, seconds, body])("refuses a capture replayed after the tolerance", async (key, t, text) => {
    const header = await run(WebhookSignature.sign(key, t, text))
    const late = t + Limits.webhookSignatureToleranceSeconds + 1
    expect(await run(WebhookSignature.verify(key, header, text, late))).toBe("expired")
  })

  test.prop([fc.string()])("a header that is not t=...,v1=... is malformed, never a crash", async (header) => {
    fc.pre(!/^t=\d+,v1=/.test(header))
    expect(["malformed", "mismatch"]).toContain(await run(WebhookSignature.verify("s".repeat(16), header, "{}", 0)))
  })
})

describe("retries of a failed delivery", () => {
  const queuedAtMs = Date.UTC(2025, 0, 1)

  test.prop([fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: Limits.webhookRetryPeriodMs })])(
    "come after the first delay, doubling to the cap, and never past the retry period",
    (attempts, sinceQueuedMs) => {
      const nowMs = queuedAtMs + sinceQueuedMs
      const at = nextAttemptAtMs(defaultRetryPolicy, attempts, queuedAtMs, nowMs)
      const delay = Math.min(Limits.webhookRetryFirstDelayMs * 2 ** (attempts - 1), Limits.webhookRetryDelayMaxMs)
      expect(at).toBe(nowMs + delay - queuedAtMs > Limits.webhookRetryPeriodMs ? undefined : nowMs + delay)
    },
  )

  test("a receiver that never answers is tried about 80 times over three days, then given up", () => {
    let nowMs = queuedAtMs
    let attempts = 1
    for (let at = nextAttemptAtMs(defaultRetryPolicy, attempts, queuedAtMs, nowMs); at !== undefined; attempts++) {
      nowMs = at
      at = nextAttemptAtMs(defaultRetryPolicy, attempts + 1, queuedAtMs, nowMs)
    }
    expect(nowMs - queuedAtMs).toBeLessThanOrEqual(Limits.webhookRetryPeriodMs)
    expect(nowMs - queuedAtMs).toBeGreaterThan(Limits.webhookRetryPeriodMs - Limits.webhookRetryDelayMaxMs)
    expect(attempts).toBeGreaterThan(70)
    expect(attempts).toBeLessThan(90)
  })
})
