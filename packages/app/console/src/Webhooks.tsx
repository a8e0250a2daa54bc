import { useEffect, useRef, useState } from "preact/hooks"
import { api, type WebhookDelivery, type WebhookEndpoint } from "./api.ts"
import { type Loaded, useLoad } from "./load.ts"
import { ColumnHeads, Empty, ReadFailure, TableWrap, Time, UserText } from "./ui.tsx"

/**
 * Deliveries are read for the endpoints in view (or near it), at most this many reads at once: read for
 * every endpoint together, 61 endpoints made 63 requests at once and the page took 4.8 s.
 */
const deliveryReadsAtOnce = 4
let deliveryReads = 0
const deliveryReadsWaiting: Array<() => void> = []

const inTurn = async <A,>(read: () => Promise<A>) => {
  while (deliveryReads >= deliveryReadsAtOnce) await new Promise<void>((turn) => deliveryReadsWaiting.push(turn))
  deliveryReads++
  try {
    return await read()
  } finally {
    deliveryReads--
    deliveryReadsWaiting.shift()?.()
  }
}

const Deliveries = ({ endpoint }: { endpoint: WebhookEndpoint }) => {
  const host = useRef<HTMLDivElement>(null)
  const [inView, setInView] = useState(false)
  useEffect(() => {
    const element = host.current
    if (element === null || inView) return
    const observer = new IntersectionObserver((seen) => seen.some((at) => at.isIntersecting) && setInView(true), {
      rootMargin: "400px 0px",
    })
    observer.observe(element)
    return () => observer.disconnect()
  }, [inView])
  const loaded = useLoad(
    () => (inView ? inTurn(() => api.deliveries(endpoint.id)) : Promise.resolve(null)),
    [endpoint.id, inView],
  )
  return (
    <div ref={host}>
      {!inView ? (
        <p class="hint">Deliveries are read when this endpoint comes into view.</p>
      ) : (
        <DeliveryTable endpoint={endpoint} loaded={loaded} />
      )}
    </div>
  )
}

const DeliveryTable = ({
  endpoint,
  loaded,
}: {
  endpoint: WebhookEndpoint
  loaded: Loaded<{ deliveries: ReadonlyArray<WebhookDelivery> } | null>
}) => {
  if (loaded.error !== undefined) return <ReadFailure loaded={loaded} />
  const deliveries = loaded.value?.deliveries
  if (deliveries === undefined) return <p aria-busy="true">Loading deliveries…</p>
  if (deliveries.length === 0)
    return <Empty>No delivery yet: this endpoint gets the events that follow its creation.</Empty>
  return (
    <TableWrap label={`Deliveries to ${endpoint.url}`}>
      <table>
        <caption>The newest {deliveries.length} deliveries, newest event first</caption>
        <ColumnHeads columns={["Event", "Type", "Status", "Queued", "Next attempt", "Attempts"]} />
        <tbody>
          {deliveries.map((delivery) => (
            <tr key={delivery.eventId}>
              <td>#{delivery.eventId}</td>
              <td>{delivery.eventType}</td>
              <td>{delivery.status}</td>
              <td>
                <Time iso={delivery.createdAt} />
              </td>
              <td>
                <Time iso={delivery.nextAttemptAt} />
              </td>
              <td>
                {delivery.attempts.length === 0 ? (
                  "none yet"
                ) : (
                  <ol class="attempts">
                    {delivery.attempts.map((attempt) => (
                      <li key={attempt.attempt}>
                        <Time iso={attempt.attemptedAt} />:{" "}
                        {attempt.statusCode === null ? (
                          <UserText text={attempt.error ?? "no answer"} />
                        ) : (
                          `HTTP ${attempt.statusCode}`
                        )}{" "}
                        in {attempt.durationMs} ms
                      </li>
                    ))}
                  </ol>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  )
}

/** The webhook endpoints, and what reached each one. */
export const Webhooks = () => {
  useEffect(() => {
    document.title = "Webhooks · Tally console"
  }, [])
  const loaded = useLoad(() => api.webhooks(), [])
  const endpoints = loaded.value?.endpoints ?? null
  return (
    <div class="page">
      <h1>Webhooks</h1>
      {loaded.error !== undefined ? (
        <ReadFailure loaded={loaded} />
      ) : endpoints === null ? (
        <p aria-busy="true">Loading endpoints…</p>
      ) : endpoints.length === 0 ? (
        <Empty>No webhook endpoint: add one with POST /v1/webhooks or `tally webhooks add` (see /docs).</Empty>
      ) : (
        endpoints.map((endpoint) => (
          <section key={endpoint.id} aria-label={`Endpoint ${endpoint.url}`}>
            <h2>
              <UserText text={endpoint.url} />
            </h2>
            <p class="hint">
              {endpoint.id}, added <Time iso={endpoint.createdAt} />
            </p>
            <Deliveries endpoint={endpoint} />
          </section>
        ))
      )}
    </div>
  )
}
