import * as Schema from "effect/Schema"
import { EventId, EventType } from "../events/LedgerEvent.ts"
import { Limits } from "../Limits.ts"
import { WebhookEndpointId } from "./WebhookEndpoint.ts"

/** One try to deliver an event to an endpoint, as the API shows it. */
export const DeliveryAttempt = Schema.Struct({
  attempt: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  attemptedAt: Schema.String,
  durationMs: Schema.Int,
  /** The receiver's HTTP status; null when it gave none (refused, timed out). */
  statusCode: Schema.NullOr(Schema.Int),
  /** Why the attempt failed when there was no status: "timeout after 10000 ms", "connection refused"... */
  error: Schema.NullOr(Schema.String),
})
export type DeliveryAttempt = typeof DeliveryAttempt.Type

/**
 * An event on its way to an endpoint: `pending` until a receiver answers 2xx (`delivered`), or until
 * the retry period is over (`failed`, given up). `nextAttemptAt` is when the next try is due.
 */
export const WebhookDelivery = Schema.Struct({
  endpointId: WebhookEndpointId,
  eventId: EventId,
  eventType: EventType,
  status: Schema.Literals(["pending", "delivered", "failed"]),
  createdAt: Schema.String,
  nextAttemptAt: Schema.NullOr(Schema.String),
  attempts: Schema.Array(DeliveryAttempt),
})
export type WebhookDelivery = typeof WebhookDelivery.Type

export const DeliveriesRequest = Schema.Struct({
  endpointId: WebhookEndpointId,
  limit: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.webhookDeliveriesPageSizeMax })),
  ),
})
export type DeliveriesRequest = typeof DeliveriesRequest.Type
