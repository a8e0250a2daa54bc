import {
  type ClaimedDelivery,
  type CreatedWebhookEndpoint,
  type DeliveryAttempt,
  type LedgerEvent,
  type WebhookDelivery,
  WebhookEndpointLimitReached,
  WebhookStore,
} from "@tally/domain/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { MemoryEventLog } from "./MemoryEventLog.ts"

interface Endpoint {
  readonly endpoint: CreatedWebhookEndpoint
  /** The last event of the feed queued for it. */
  afterEventId: number
}

interface Delivery {
  readonly endpointId: string
  readonly event: LedgerEvent
  readonly queuedAtMs: number
  status: WebhookDelivery["status"]
  nextAttemptAtMs: number | null
  /** Tries claimed so far. */
  claims: number
  readonly attempts: Array<DeliveryAttempt>
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Webhook endpoints and deliveries in process memory, reading the process's event log. Every
 * operation runs in one synchronous step, so a claim is never handed out twice.
 */
export const make = Effect.gen(function* () {
  const log = yield* MemoryEventLog
  const endpoints = new Map<string, Endpoint>()
  const deliveries = new Map<string, Delivery>()
  const keyOf = (endpointId: string, eventId: number) => `${endpointId}/${eventId}`

  return WebhookStore.of({
    create: (endpoint, endpointsMax) =>
      Effect.suspend(() => {
        const existing = endpoints.get(endpoint.id)
        if (existing !== undefined) return Effect.succeed(existing.endpoint)
        if (endpoints.size >= endpointsMax) return Effect.fail(new WebhookEndpointLimitReached({ endpointsMax }))
        endpoints.set(endpoint.id, { endpoint, afterEventId: log.head() })
        return Effect.succeed(endpoint)
      }),

    list: Effect.sync(() => [...endpoints.values()].map(({ endpoint: { secret: _secret, ...endpoint } }) => endpoint)),

    remove: (endpointId) =>
      Effect.sync(() => {
        for (const [key, delivery] of deliveries) if (delivery.endpointId === endpointId) deliveries.delete(key)
        return endpoints.delete(endpointId)
      }),

    deliveries: (endpointId, limit) =>
      Effect.sync(() => {
        if (!endpoints.has(endpointId)) return undefined
        return [...deliveries.values()]
          .filter((delivery) => delivery.endpointId === endpointId)
          .sort((a, b) => b.event.id - a.event.id)
          .slice(0, limit)
          .map(
            (delivery): WebhookDelivery => ({
              endpointId: delivery.endpointId,
              eventId: delivery.event.id,
              eventType: delivery.event.type,
              status: delivery.status,
              createdAt: iso(delivery.queuedAtMs),
              nextAttemptAt: delivery.nextAttemptAtMs === null ? null : iso(delivery.nextAttemptAtMs),
              attempts: [...delivery.attempts],
            }),
          )
      }),

    enqueue: (nowMs, eventsMax) =>
      Effect.sync(() => {
        let queued = 0
        for (const endpoint of endpoints.values()) {
          const events = log.read(endpoint.afterEventId, eventsMax) ?? []
          for (const event of events) {
            deliveries.set(keyOf(endpoint.endpoint.id, event.id), {
              endpointId: endpoint.endpoint.id,
              event,
              queuedAtMs: nowMs,
              status: "pending",
              nextAttemptAtMs: nowMs,
              claims: 0,
              attempts: [],
            })
            endpoint.afterEventId = event.id
            queued++
          }
        }
        return queued
      }),

    claim: (nowMs, leaseMs, max, perEndpoint) =>
      Effect.sync(() => {
        const held = new Map(perEndpoint?.inFlight)
        const endpointMax = perEndpoint?.max ?? max
        return [...deliveries.values()]
          .filter((d) => d.status === "pending" && d.nextAttemptAtMs !== null && d.nextAttemptAtMs <= nowMs)
          .sort((a, b) => a.nextAttemptAtMs! - b.nextAttemptAtMs! || a.event.id - b.event.id)
          .filter((delivery) => {
            const holding = held.get(delivery.endpointId) ?? 0
            if (holding >= endpointMax) return false
            held.set(delivery.endpointId, holding + 1)
            return true
          })
          .slice(0, max)
          .flatMap((delivery): Array<ClaimedDelivery> => {
            const endpoint = endpoints.get(delivery.endpointId)
            if (endpoint === undefined) return []
            delivery.claims++
            delivery.nextAttemptAtMs = nowMs + leaseMs
            return [
              {
                endpointId: delivery.endpointId,
                url: endpoint.endpoint.url,
                secret: endpoint.endpoint.secret,
                event: delivery.event,
                attempt: delivery.claims,
                queuedAtMs: delivery.queuedAtMs,
              },
            ]
          })
      }),

    record: (result) =>
      Effect.sync(() => {
        const delivery = deliveries.get(keyOf(result.endpointId, result.eventId))
        if (delivery === undefined) return
        if (!delivery.attempts.some((a) => a.attempt === result.attempt)) {
          delivery.attempts.push({
            attempt: result.attempt,
            attemptedAt: iso(result.attemptedAtMs),
            durationMs: result.durationMs,
            statusCode: result.statusCode,
            error: result.error,
          })
          delivery.attempts.sort((a, b) => a.attempt - b.attempt)
        }
        if (delivery.claims !== result.attempt || delivery.status !== "pending") return
        delivery.status =
          result.next._tag === "Delivered" ? "delivered" : result.next._tag === "Retry" ? "pending" : "failed"
        delivery.nextAttemptAtMs = result.next._tag === "Retry" ? result.next.atMs : null
      }),
  })
})

/** The store on the process's `MemoryEventLog` (the one the ledger's store appends to). */
export const layer = Layer.effect(WebhookStore, make)
