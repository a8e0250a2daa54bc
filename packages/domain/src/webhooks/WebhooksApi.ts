import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import { Authorization, LedgerUnavailableResponse, readErrors, withExample, withMessage } from "../api/ApiSupport.ts"
import * as Examples from "../TallyApiExamples.ts"
import { DeliveriesRequest, WebhookDelivery } from "./WebhookDelivery.ts"
import {
  CreatedWebhookEndpoint,
  WebhookEndpoint,
  WebhookEndpointLimitReached,
  WebhookEndpointNotFound,
  WebhookEndpointRequest,
} from "./WebhookEndpoint.ts"

/** 404: no webhook endpoint with that id. */
export const WebhookEndpointNotFoundResponse = withMessage(WebhookEndpointNotFound, 404)
/** 409: as many webhook endpoints as Tally delivers to exist already. */
export const WebhookEndpointLimitReachedResponse = withMessage(WebhookEndpointLimitReached, 409)

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
      success: withExample(CreatedWebhookEndpoint, Examples.createdWebhookEndpoint),
      error: [WebhookEndpointLimitReachedResponse, ...readErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Add a webhook endpoint; the answer shows its signing secret, once",
        description:
          "Events that follow in the feed are posted to the URL, signed with Tally-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>, and retried with exponential backoff until a 2xx answer.",
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
