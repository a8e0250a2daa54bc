import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { LedgerEvent } from "../events/LedgerEvent.ts"
import type { LedgerUnavailable } from "../LedgerError.ts"
import type { WebhookDelivery } from "./WebhookDelivery.ts"
import type { CreatedWebhookEndpoint, WebhookEndpoint, WebhookEndpointLimitReached } from "./WebhookEndpoint.ts"

/** A delivery a dispatcher has claimed: it alone tries it until `leaseMs` passes. */
export interface ClaimedDelivery {
  readonly endpointId: string
  readonly url: string
  readonly secret: string
  readonly event: LedgerEvent
  /** This try's number, from 1: a claim counts as a try even if its process dies during it. */
  readonly attempt: number
  readonly queuedAtMs: number
}

/**
 * How many deliveries of one endpoint a claimer may hold at once, so one slow receiver does not take
 * every delivery a process can have in flight (and, claimed first, hold up the others' behind it).
 */
export interface EndpointShare {
  /** At most this many deliveries of one endpoint held by the claimer, counting those it holds already. */
  readonly max: number
  /** The deliveries the claimer holds already (claimed, not yet recorded), by endpoint id; absent is none. */
  readonly inFlight: ReadonlyMap<string, number>
}

/** What became of a claimed try. */
export interface AttemptResult {
  readonly endpointId: string
  readonly eventId: number
  readonly attempt: number
  readonly attemptedAtMs: number
  readonly durationMs: number
  readonly statusCode: number | null
  readonly error: string | null
  /** Delivered (a 2xx answer), to be retried at a moment, or given up. */
  readonly next:
    | { readonly _tag: "Delivered" }
    | { readonly _tag: "Retry"; readonly atMs: number }
    | { readonly _tag: "GiveUp" }
}

/**
 * The storage port of webhooks: endpoints, and a delivery per endpoint and event with its attempts.
 * Several dispatchers (processes) may work on one store: `claim` hands each due delivery to one of
 * them at a time, for a lease; a dispatcher that dies loses its claims when their lease ends, and
 * another tries them again (at least once, never by all of them each time).
 */
export class WebhookStore extends Context.Service<
  WebhookStore,
  {
    /**
     * Adds the endpoint, unless there are `endpointsMax` already. When one with its id exists, answers
     * that one as it was stored (its URL, secret and creation time) and changes nothing: an id made
     * from an idempotency key is how a retried creation finds the first.
     */
    readonly create: (
      endpoint: CreatedWebhookEndpoint,
      endpointsMax: number,
    ) => Effect.Effect<CreatedWebhookEndpoint, WebhookEndpointLimitReached | LedgerUnavailable>
    readonly list: Effect.Effect<ReadonlyArray<WebhookEndpoint>, LedgerUnavailable>
    /** Removes an endpoint with its deliveries; false when there was none. */
    readonly remove: (endpointId: string) => Effect.Effect<boolean, LedgerUnavailable>
    /** An endpoint's deliveries, newest event first; undefined when there is no such endpoint. */
    readonly deliveries: (
      endpointId: string,
      limit: number,
    ) => Effect.Effect<ReadonlyArray<WebhookDelivery> | undefined, LedgerUnavailable>
    /** Queues a delivery per endpoint for up to `eventsMax` events of the feed each has not queued yet. */
    readonly enqueue: (nowMs: number, eventsMax: number) => Effect.Effect<number, LedgerUnavailable>
    /**
     * Claims up to `max` deliveries due at `nowMs`, each for `leaseMs`, and answers them, the earliest due
     * first (then by event id); with `perEndpoint`, only as many of an endpoint as bring what the claimer
     * holds of it to `perEndpoint.max`, passing over the rest of that endpoint's due deliveries to take
     * other endpoints'.
     */
    readonly claim: (
      nowMs: number,
      leaseMs: number,
      max: number,
      perEndpoint?: EndpointShare,
    ) => Effect.Effect<ReadonlyArray<ClaimedDelivery>, LedgerUnavailable>
    /** Records a try; ignored when the delivery was claimed again since (its lease had run out). */
    readonly record: (result: AttemptResult) => Effect.Effect<void, LedgerUnavailable>
  }
>()("@tally/domain/WebhookStore") {}
