import { type CryptoError, Mac } from "effect/crypto"
import * as Effect from "effect/Effect"
import { Limits } from "../Limits.ts"

/**
 * How a delivery proves it comes from Tally, as payment providers sign theirs (Stripe's
 * `Stripe-Signature`): an HMAC-SHA256, keyed with the endpoint's secret (its UTF-8 bytes), over the
 * timestamp, a dot and the exact body; sent as `Tally-Signature: t=<unix seconds>,v1=<hex digest>`.
 * The timestamp inside the signed text lets a receiver refuse old captures (replays).
 */

export const signatureHeader = "tally-signature"

const utf8 = new TextEncoder()

export const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")

const fromHex = (text: string) =>
  /^(?:[0-9a-f]{2})+$/.test(text) ? Uint8Array.from(text.match(/../g)!, (pair) => Number.parseInt(pair, 16)) : undefined

const keyOf = (secret: string) => Mac.key(Mac.hmacSha256, utf8.encode(secret))

/** The text that is signed: `<timestamp>.<body>`. */
export const signedPayload = (timestampSeconds: number, body: string) => `${timestampSeconds}.${body}`

/** The `Tally-Signature` header value for `body` sent at `timestampSeconds`. */
export const sign = (
  secret: string,
  timestampSeconds: number,
  body: string,
): Effect.Effect<string, CryptoError.CryptoError, Mac.Mac> =>
  Effect.gen(function* () {
    const mac = yield* Mac.Mac
    const tag = yield* mac.sign(yield* keyOf(secret), utf8.encode(signedPayload(timestampSeconds, body)))
    return `t=${timestampSeconds},v1=${hex(tag)}`
  })

/** The timestamp and the `v1` signatures of a header (several while a secret is being rolled). */
export const parseHeader = (
  header: string,
): { readonly timestampSeconds: number; readonly signatures: ReadonlyArray<string> } | undefined => {
  const pairs = header.split(",").map((part) => part.trim().split("="))
  const timestamp = pairs.find(([name]) => name === "t")?.[1]
  const signatures = pairs.filter(([name, value]) => name === "v1" && value !== undefined).map(([, value]) => value!)
  const timestampSeconds = Number(timestamp)
  return timestamp !== undefined && /^\d+$/.test(timestamp) && signatures.length > 0
    ? { timestampSeconds, signatures }
    : undefined
}

export type Verification = "valid" | "malformed" | "mismatch" | "expired"

/**
 * Checks a delivery as a receiver should: a well-formed header, a signature that matches (compared in
 * constant time), and a timestamp within `toleranceSeconds` of `nowSeconds`.
 */
export const verify = (
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds: number = Limits.webhookSignatureToleranceSeconds,
): Effect.Effect<Verification, CryptoError.CryptoError, Mac.Mac> =>
  Effect.gen(function* () {
    const parsed = parseHeader(header)
    if (parsed === undefined) return "malformed"
    const mac = yield* Mac.Mac
    const key = yield* keyOf(secret)
    const payload = utf8.encode(signedPayload(parsed.timestampSeconds, body))
    let matches = false
    for (const signature of parsed.signatures) {
      const tag = fromHex(signature)
      if (tag !== undefined && (yield* mac.verify(key, tag, payload))) matches = true
    }
    if (!matches) return "mismatch"
    return Math.abs(nowSeconds - parsed.timestampSeconds) > toleranceSeconds ? "expired" : "valid"
  })
