import { createServer } from "node:http"
import { balanceAccount, echoRequestId, json, parseWrite, stopOnSigterm } from "./Routes.ts"

/**
 * The floor of a Node HTTP service: node:http reading the same JSON writes and answering JSON of
 * the same shape as Tally, balances in a Map and no rules. What Tally's in-memory service spends per
 * request above this is the cost of its own request path. Started by `Launcher.benchServer` with `PORT`.
 */

const balances = new Map<string, number>()

const server = createServer(async (request, response) => {
  echoRequestId(request, response)
  if (request.url === "/health") return json(response, 200, { status: "ok" })
  const accountId = balanceAccount(request)
  if (accountId !== undefined) return json(response, 200, { accountId, balance: balances.get(accountId) ?? 0 })
  const write = await parseWrite(request)
  if ("status" in write)
    return json(response, write.status, { _tag: write.status === 404 ? "NotFound" : "InvalidRequest" })
  const amount = write.kind === "top-up" ? write.amount : -write.amount
  const balance = (balances.get(write.accountId) ?? 0) + amount
  balances.set(write.accountId, balance)
  json(response, 200, { entry: { amount, balanceAfter: balance }, balance })
})

server.listen(Number(process.env.PORT), "127.0.0.1")
stopOnSigterm(async () => {
  server.close()
  server.closeIdleConnections()
})
