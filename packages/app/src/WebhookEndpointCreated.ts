import { WebhookStore } from "@tally/domain/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Latch from "effect/Latch"
import * as Layer from "effect/Layer"

/**
 * Opened when this process creates a webhook endpoint, so a dispatcher that found none starts
 * delivering at once instead of at its next look at the store (an endpoint created by another
 * process is found by that look). The dispatcher closes it before each look: an endpoint created
 * after the close opens it again, so none is missed between the look and the wait.
 */
export class WebhookEndpointCreated extends Context.Service<WebhookEndpointCreated, Latch.Latch>()(
  "@tally/app/WebhookEndpointCreated",
) {}

/** `store`, its `create` opening the latch once the endpoint is stored; the latch beside it. */
export const announcing = <E, R>(store: Layer.Layer<WebhookStore, E, R>) =>
  Layer.effect(
    WebhookStore,
    Effect.gen(function* () {
      const inner = yield* WebhookStore
      const created = yield* WebhookEndpointCreated
      return WebhookStore.of({
        ...inner,
        create: (endpoint, endpointsMax) => Effect.tap(inner.create(endpoint, endpointsMax), () => created.open),
      })
    }),
  ).pipe(Layer.provide(store), Layer.provideMerge(Layer.effect(WebhookEndpointCreated, Latch.make(false))))
