import { expect, it } from "vitest"
import { startService } from "./TallyProcess.ts"

/**
 * A long-poll of the event feed when the service is asked to stop: it is answered at once, as a wait
 * that found nothing, instead of holding the shutdown for its whole wait and then being cut off with an
 * empty 503 (the console's Events page keeps one open).
 */

it("answers a waiting feed read with no events when SIGTERM comes, and exits 0", async () => {
  const service = await startService({}, ["--memory"])
  const waiting = fetch(`${service.url}/v1/events?after=0&wait=20`)
  // The read is waiting once its first look found nothing: the service logs nothing for it, so give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const exited = service.stop("SIGTERM")
  const answer = await waiting
  expect(answer.status).toBe(200)
  expect(await answer.json()).toEqual({ events: [], next: 0 })
  expect(await exited).toBe(0)
})
