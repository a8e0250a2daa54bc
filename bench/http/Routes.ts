import type { IncomingMessage, ServerResponse } from "node:http"

/**
 * What the bench's own servers share: Tally's write routes as the load generator calls them, read
 * with node:http alone. Only what the workload sends is understood; anything else answers 400 or 404.
 */

export type Write = { readonly kind: "top-up" | "spend"; readonly accountId: string; readonly amount: number }
export type TopUp = Write & { readonly ceiling: number | null }

/** The write routes, as Tally names them. */
const writeRoute = /^\/v1\/accounts\/([A-Za-z0-9._:-]{1,128})\/(top-ups|spends)$/
const balanceRoute = /^\/v1\/accounts\/([A-Za-z0-9._:-]{1,128})\/balance$/

/** Bodies are small JSON objects; Tally refuses more than this too. */
const bodyBytesMax = 64 * 1024

/** A request's `X-Request-Id` comes back on its answer, as Tally's does: wrk's script matches answers by it. */
export const echoRequestId = (request: IncomingMessage, response: ServerResponse) => {
  const given = request.headers["x-request-id"]
  if (typeof given === "string") response.setHeader("x-request-id", given)
}

export const json = (response: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  response.end(text)
}

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let bytes = 0
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > bodyBytesMax) reject(new Error("body too large"))
      else chunks.push(chunk)
    })
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

const isAmount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0

/** The write a request asks for, or the status to answer when it is not one. */
export const parseWrite = async (request: IncomingMessage): Promise<TopUp | { readonly status: 400 | 404 }> => {
  const match = request.method === "POST" ? writeRoute.exec(request.url ?? "") : null
  if (match === null) return { status: 404 }
  let body: { amount?: unknown; ceiling?: unknown }
  try {
    body = JSON.parse(await readBody(request))
  } catch {
    return { status: 400 }
  }
  const ceiling = body.ceiling ?? null
  if (!isAmount(body.amount) || (ceiling !== null && !(Number.isSafeInteger(ceiling) && (ceiling as number) >= 0)))
    return { status: 400 }
  return {
    kind: match[2] === "top-ups" ? "top-up" : "spend",
    accountId: match[1]!,
    amount: body.amount,
    ceiling: match[2] === "top-ups" ? (ceiling as number | null) : null,
  }
}

/** The account of a `GET /v1/accounts/{accountId}/balance`, if that is what the request is. */
export const balanceAccount = (request: IncomingMessage): string | undefined =>
  request.method === "GET" ? balanceRoute.exec(request.url ?? "")?.[1] : undefined

/** A rule rejection, tagged as Tally tags it, so the load generator counts both servers alike. */
export const rejectionTag = (write: Write) => (write.kind === "top-up" ? "BalanceAtCeiling" : "InsufficientCredits")

/** A server stops on SIGTERM as Tally does: no new connections, then exit. */
export const stopOnSigterm = (close: () => Promise<void>) =>
  process.once("SIGTERM", () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
