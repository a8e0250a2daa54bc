import {
  type AttemptResult,
  type ClaimedDelivery,
  defaultRetryPolicy,
  LedgerEvent,
  Limits,
  nextAttemptAtMs,
  type RetryPolicy,
  WebhookSignature,
  WebhookStore,
} from "@tally/domain"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type { Mac } from "effect/crypto"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import { FetchHttpClient, HttpClient, HttpClientError, HttpClientRequest } from "effect/http"
import * as Latch from "effect/Latch"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { WebhookEndpointCreated } from "./WebhookEndpointCreated.ts"

/**
 * Delivers the event feed to the webhook endpoints, at least once each, from inside the service: it
 * queues each endpoint's new events, claims the deliveries that are due (for a lease, so several
 * service processes share the work instead of each delivering everything), posts each one signed,
 * and records the attempt. A failed attempt is retried with exponential backoff for the retry period,
 * then given up; the attempts are visible through the API.
 *
 * Each endpoint moves at its receiver's pace, not the slowest one's: a process keeps up to
 * `concurrency` deliveries in flight, at most `perEndpointConcurrency` of them to one endpoint, and
 * claims more as soon as any ends (a claim takes only what it has room to start, so none waits out its
 * lease in this process). Waiting for a whole batch before claiming the next, as it once did, let one
 * receiver answering in 3 s hold every other endpoint to the same few posts a second.
 *
 * With no endpoint there is nothing to deliver, and a step (queue, claim) would still cost the database
 * a transaction of four statements every poll: so a dispatcher that finds no endpoint only looks for
 * one, with one statement, every `endpointCheckIntervalMs`, and starts at once when this process
 * creates one (`WebhookEndpointCreated`). It starts by looking, so endpoints stored before a restart
 * are delivered to.
 */

export interface Options {
  /** How often an idle dispatcher looks for new events and due retries. */
  readonly pollIntervalMs: number
  /**
   * With no endpoint, how often the store is asked whether another process created one; with some, how
   * often a dispatcher whose steps find nothing to do asks whether any is left.
   */
  readonly endpointCheckIntervalMs: number
  /** A receiver gets this long to answer. */
  readonly attemptTimeoutMs: number
  /** Deliveries in flight at once per process, to all endpoints together. */
  readonly concurrency: number
  /**
   * Deliveries in flight at once per process to one endpoint: a slow or unanswering receiver holds this
   * many, and the rest of `concurrency` goes on to the others.
   */
  readonly perEndpointConcurrency: number
  /** Deliveries claimed at once (at most the room left of `concurrency`). */
  readonly claimMax: number
  /** Events queued per endpoint at once. */
  readonly queueEventsMax: number
  readonly retry: RetryPolicy
}

export const defaults: Options = {
  pollIntervalMs: 250,
  endpointCheckIntervalMs: 1_000,
  attemptTimeoutMs: Limits.webhookAttemptTimeoutMs,
  // Eight endpoints' shares: it takes eight receivers timing out at once to hold up a ninth; 64 sockets at most.
  concurrency: 64,
  // As many as the whole process had before: a fast endpoint alone is delivered to as quickly as it was.
  perEndpointConcurrency: 8,
  claimMax: 32,
  queueEventsMax: 500,
  retry: defaultRetryPolicy,
}

/**
 * A claim outlives the longest attempt by this much (recording it, a pause of the process), so no
 * other process retries a delivery that is still in flight; a process that dies loses its claims
 * after it, and they are tried again.
 */
const leaseMarginMs = 30_000

const encodeEvent = Schema.encodeSync(LedgerEvent)

const describeFailure = (error: unknown, timeoutMs: number): string => {
  if (Cause.isTimeoutError(error)) return `timeout after ${timeoutMs} ms`
  if (HttpClientError.isHttpClientError(error)) {
    const code = (error.reason as { readonly cause?: { readonly cause?: { readonly code?: unknown } } }).cause?.cause
      ?.code
    return typeof code === "string" ? `${error.reason._tag} ${code}` : error.reason._tag
  }
  return "failed"
}

const deliver = (options: Options, store: WebhookStore["Service"], client: HttpClient.HttpClient) =>
  Effect.fn("WebhookDispatcher.deliver")(function* (claim: ClaimedDelivery) {
    const body = JSON.stringify(encodeEvent(claim.event))
    const startedMs = yield* Clock.currentTimeMillis
    const signature = yield* WebhookSignature.sign(claim.secret, Math.floor(startedMs / 1000), body)
    const request = HttpClientRequest.post(claim.url).pipe(
      HttpClientRequest.setHeaders({
        [WebhookSignature.signatureHeader]: signature,
        "tally-event-id": String(claim.event.id),
        "tally-event-type": claim.event.type,
        "tally-delivery-attempt": String(claim.attempt),
        "user-agent": "Tally-Webhooks/0.1",
      }),
      HttpClientRequest.bodyText(body, "application/json"),
    )
    const answer = yield* client.execute(request).pipe(
      Effect.tap((response) => Stream.runDrain(response.stream).pipe(Effect.ignore)),
      Effect.map((response) => response.status),
      Effect.timeout(options.attemptTimeoutMs),
      Effect.result,
    )
    const endedMs = yield* Clock.currentTimeMillis
    const statusCode = answer._tag === "Success" ? answer.success : null
    const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300
    const retryAtMs = delivered ? undefined : nextAttemptAtMs(options.retry, claim.attempt, claim.queuedAtMs, endedMs)
    const result: AttemptResult = {
      endpointId: claim.endpointId,
      eventId: claim.event.id,
      attempt: claim.attempt,
      attemptedAtMs: startedMs,
      durationMs: Math.max(0, endedMs - startedMs),
      statusCode,
      error: answer._tag === "Failure" ? describeFailure(answer.failure, options.attemptTimeoutMs) : null,
      next: delivered
        ? { _tag: "Delivered" }
        : retryAtMs === undefined
          ? { _tag: "GiveUp" }
          : { _tag: "Retry", atMs: retryAtMs },
    }
    yield* store.record(result)
    yield* (delivered ? Effect.logDebug : Effect.logWarning)(
      delivered ? "webhook delivered" : "webhook delivery failed",
    ).pipe(
      Effect.annotateLogs({
        endpointId: claim.endpointId,
        eventId: claim.event.id,
        attempt: claim.attempt,
        statusCode: statusCode ?? "none",
        ...(result.error === null ? {} : { error: result.error }),
        next: result.next._tag,
      }),
    )
  })

/** A failure (not an interruption) of `effect` logged as `message`; the dispatcher goes on with `fallback`. */
const loggedAs =
  <B>(message: string, fallback: B) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.catchCause(effect, (cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.failCause(cause)
        : Effect.logError(message, cause).pipe(Effect.as(fallback)),
    )

/** Whether the store has an endpoint; a store that fails is logged and counts as having none until the next look. */
const anyEndpoint = (store: WebhookStore["Service"]) =>
  store.list.pipe(
    Effect.map((endpoints) => endpoints.length > 0),
    loggedAs("webhook endpoints not read", false),
  )

/** Returns once an endpoint exists: found in the store, or created by this process meanwhile. */
const untilAnEndpoint = (options: Options, store: WebhookStore["Service"], created: Latch.Latch) =>
  Effect.gen(function* () {
    while (true) {
      yield* created.close
      if (yield* anyEndpoint(store)) return
      yield* Effect.raceFirst(created.await, Effect.sleep(options.endpointCheckIntervalMs))
    }
  })

/**
 * Runs until interrupted: while an endpoint exists, steps (queue, claim what there is room for, start
 * it), at once again after a step that queued or filled its room, else when a delivery ends or after
 * the poll interval; while none does, only the look for one. A store that fails is logged and tried
 * again next step; nothing stops the loop. Deliveries in flight end with it.
 */
export const run = (options: Options = defaults) =>
  Effect.scoped(
    Effect.gen(function* () {
      const store = yield* WebhookStore
      const client = yield* HttpClient.HttpClient
      const created = yield* WebhookEndpointCreated
      const deliveries = yield* FiberSet.make()
      const inFlight = new Map<string, number>()
      let inFlightTotal = 0
      // Opened as each delivery ends, so its room is claimed again at once; closed before each step, so an
      // end during the step is not missed.
      const ended = yield* Latch.make(false)
      const attempt = deliver(options, store, client)

      const held = (endpointId: string, change: 1 | -1) => {
        const count = (inFlight.get(endpointId) ?? 0) + change
        if (count === 0) inFlight.delete(endpointId)
        else inFlight.set(endpointId, count)
        inFlightTotal += change
      }
      // One delivery failing to record (the store is away) must not stop the others: its claim lapses and
      // it is tried again.
      const start = (claim: ClaimedDelivery) =>
        Effect.suspend(() => {
          held(claim.endpointId, 1)
          return FiberSet.run(
            deliveries,
            attempt(claim).pipe(
              loggedAs("webhook attempt not recorded", undefined),
              Effect.ensuring(
                Effect.andThen(
                  Effect.sync(() => held(claim.endpointId, -1)),
                  ended.open,
                ),
              ),
            ),
          )
        })

      /** Queues, claims as much as there is room for and starts it; whether there may be more to do at once. */
      const step = Effect.gen(function* () {
        const nowMs = yield* Clock.currentTimeMillis
        const queued = yield* store.enqueue(nowMs, options.queueEventsMax)
        const room = Math.min(options.claimMax, options.concurrency - inFlightTotal)
        if (room <= 0) return queued > 0
        const claims = yield* store.claim(nowMs, options.attemptTimeoutMs + leaseMarginMs, room, {
          max: options.perEndpointConcurrency,
          inFlight: new Map(inFlight),
        })
        yield* Effect.forEach(claims, start, { discard: true })
        return queued > 0 || claims.length === room
      })

      while (true) {
        yield* untilAnEndpoint(options, store, created)
        let checkedAtMs = yield* Clock.currentTimeMillis
        while (true) {
          yield* ended.close
          if (yield* step.pipe(loggedAs("webhook dispatch failed", false))) continue
          const nowMs = yield* Clock.currentTimeMillis
          if (nowMs - checkedAtMs >= options.endpointCheckIntervalMs) {
            checkedAtMs = nowMs
            if (!(yield* anyEndpoint(store))) break
          }
          yield* Effect.raceFirst(ended.await, Effect.sleep(options.pollIntervalMs))
        }
      }
    }),
  )

/**
 * The dispatcher as a layer: runs while the layer's scope is open. Redirects are not followed (a
 * 3xx is a failed attempt), so an endpoint is the URL it was configured with.
 */
export const layer = (
  options: Options = defaults,
): Layer.Layer<never, never, WebhookStore | WebhookEndpointCreated | Mac.Mac> =>
  Layer.effectDiscard(Effect.forkScoped(run(options))).pipe(
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" })),
  )
