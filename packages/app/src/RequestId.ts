import { randomUUID } from "node:crypto"

/**
 * The id of a request: the caller's `X-Request-Id` when it is short and log-safe, else one made
 * here. A made id is UUID-shaped, a random prefix drawn once per process and a counter, so it is
 * unique without drawing random bytes for every request (a `randomUUID` each cost about 1 µs and
 * most of a request's log line).
 */

/** A caller's X-Request-Id is kept when it is this short and log-safe, else one is generated. */
export const givenPattern = /^[A-Za-z0-9._:-]{1,128}$/

/** The first four groups of a random UUID: 23 characters, so a 12-digit counter completes the shape. */
const processPrefix = randomUUID().slice(0, 23)
/** 12 hex digits: the counter wraps after 2^48 requests, centuries at any rate this process reaches. */
const counterDigits = 12
let made = 0

const make = () => {
  made = (made + 1) % 2 ** 48
  return `${processPrefix}-${made.toString(16).padStart(counterDigits, "0")}`
}

/** The id of a request that carried `given` (the X-Request-Id header, if any). */
export const of = (given: string | undefined): string =>
  given !== undefined && givenPattern.test(given) ? given : make()
