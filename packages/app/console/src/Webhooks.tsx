import { useEffect, useState } from "preact/hooks"
import { api, type WebhookDelivery, type WebhookEndpoint } from "./api.ts"
import { ColumnHeads, Empty, Failure, TableWrap, Time, UserText } from "./ui.tsx"

const Deliveries = ({ endpoint }: { endpoint: WebhookEndpoint }) => {
  const [deliveries, setDeliveries] = useState<ReadonlyArray<WebhookDelivery> | null>(null)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    api.deliveries(endpoint.id).then((answer) => setDeliveries(answer.deliveries), setError)
  }, [endpoint.id])
  if (error !== null) return <Failure error={error} />
  if (deliveries === null) return <p aria-busy="true">Loading deliveries…</p>
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
  const [endpoints, setEndpoints] = useState<ReadonlyArray<WebhookEndpoint> | null>(null)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    document.title = "Webhooks · Tally console"
    api.webhooks().then((answer) => setEndpoints(answer.endpoints), setError)
  }, [])
  return (
    <div class="page">
      <h1>Webhooks</h1>
      {error !== null ? (
        <Failure error={error} />
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
