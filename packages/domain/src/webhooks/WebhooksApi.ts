import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import {
  Authorization,
  idempotencyHeaders,
  LedgerUnavailableResponse,
  readErrors,
  withExample,
  withMessage,
} from "../api/ApiSupport.ts"
import * as Examples from "../TallyApiExamples.ts"
import { DeliveriesRequest, WebhookDelivery } from "./WebhookDelivery.ts"
import {
  CreatedWebhookEndpoint,
  WebhookEndpoint,
  WebhookEndpointLimitReached,
  WebhookEndpointNotFound,
  WebhookEndpointRequest,
  WebhookIdempotencyConflict,
} from "./WebhookEndpoint.ts"

/** 404: no webhook endpoint with that id. */
export const WebhookEndpointNotFoundResponse = withMessage(WebhookEndpointNotFound, 404)
/** 409: as many webhook endpoints as Tally delivers to exist already. */
export const WebhookEndpointLimitReachedResponse = withMessage(WebhookEndpointLimitReached, 409)

/** 409: the idempotency key created an endpoint with another URL or secret. */
export const WebhookIdempotencyConflictResponse = withMessage(WebhookIdempotencyConflict, 409)

/** A created endpoint; a retry with the same key answers the first one's, with `Idempotent-Replayed: true`. */
export const CreatedWebhookResponse = Schema.Struct({
  ...CreatedWebhookEndpoint.fields,
  replayed: Schema.Boolean,
}).pipe(
  HttpApiSchema.encodeToWithHeaders(
    {
      body: withExample(CreatedWebhookEndpoint, Examples.createdWebhookEndpoint),
      headers: { "idempotent-replayed": Schema.optionalKey(Schema.Literal("true")) },
    },
    {
      decode: ({ body, headers }) => ({ ...body, replayed: headers["idempotent-replayed"] === "true" }),
      encode: ({ replayed, ...body }) => ({
        body,
        headers: replayed ? { "idempotent-replayed": "true" as const } : {},
      }),
    },
  ),
)

const endpointParams = { endpointId: withExample(DeliveriesRequest.fields.endpointId, Examples.webhookEndpointId) }

export const WebhookEndpointsResponse = withExample(
  Schema.Struct({ endpoints: Schema.Array(WebhookEndpoint) }),
  Examples.webhookEndpoints,
)
export const WebhookDeletedResponse = withExample(
  Schema.Struct({ id: Schema.String, deleted: Schema.Literal(true) }),
  Examples.webhookDeleted,
)
export const WebhookDeliveriesResponse = withExample(
  Schema.Struct({ deliveries: Schema.Array(WebhookDelivery) }),
  Examples.webhookDeliveries,
)

export class WebhooksGroup extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("createWebhook", "/webhooks", {
      payload: withExample(WebhookEndpointRequest, Examples.webhookEndpointRequest),
      headers: idempotencyHeaders,
      success: CreatedWebhookResponse,
      error: [WebhookEndpointLimitReachedResponse, WebhookIdempotencyConflictResponse, ...readErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Add a webhook endpoint; the answer shows its signing secret, once",
        description:
          "Events that follow in the feed are posted to the URL, signed with Tally-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>, and retried with exponential backoff until a 2xx answer. With an Idempotency-Key, a retry answers the endpoint the first request created (its secret included, Idempotent-Replayed: true) and creates no other; the key with another URL or secret answers 409 WebhookIdempotencyConflict.",
      }),
    ),
    HttpApiEndpoint.get("listWebhooks", "/webhooks", {
      success: WebhookEndpointsResponse,
      error: LedgerUnavailableResponse,
    }).annotateMerge(OpenApi.annotations({ summary: "The webhook endpoints (without their secrets)" })),
    HttpApiEndpoint.delete("deleteWebhook", "/webhooks/:endpointId", {
      params: endpointParams,
      success: WebhookDeletedResponse,
      error: [WebhookEndpointNotFoundResponse, ...readErrors],
    }).annotateMerge(OpenApi.annotations({ summary: "Remove a webhook endpoint and its deliveries" })),
    HttpApiEndpoint.get("webhookDeliveries", "/webhooks/:endpointId/deliveries", {
      params: endpointParams,
      query: { limit: DeliveriesRequest.fields.limit },
      success: WebhookDeliveriesResponse,
      error: [WebhookEndpointNotFoundResponse, ...readErrors],
    }).annotateMerge(
      OpenApi.annotations({ summary: "An endpoint's deliveries, newest event first, with every attempt" }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(OpenApi.annotations({ title: "Webhooks", description: "Events pushed to your endpoints" })) {}
