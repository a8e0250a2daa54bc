import type { Browser, Locator, Page, Request, Route } from "playwright-core"
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest"
import { accountId, request, type Service, startService } from "../e2e/TallyProcess.ts"
import { createDatabase } from "../support/TestDatabase.ts"
import { launch, screenshot, type Watched, watchedContext } from "./Browser.ts"

/**
 * The operator's console in a real browser (Debian's Chromium through playwright-core), against the
 * real `tally serve` on PostgreSQL: what the page shows is checked against what the API answers, and
 * what the page does is read back through the API. Each test also asserts that no page logged an
 * error and that no request left 127.0.0.1.
 */

let service: Service
let browser: Browser
let watched: Watched

const api = (path: string, init: Parameters<typeof request>[1] = {}) => request(`${service.url}${path}`, init)
const credits = (value: number) => new Intl.NumberFormat("en-US").format(value)

const topUp = async (account: string, amount: number, extra: Record<string, unknown> = {}) => {
  const reply = await api(`/v1/accounts/${account}/top-ups`, { body: { amount, ...extra } })
  expect(reply.status).toBe(200)
  return reply.body
}
const spend = async (account: string, amount: number) => {
  const reply = await api(`/v1/accounts/${account}/spends`, { body: { amount } })
  expect(reply.status).toBe(200)
  return reply.body
}
const balances = async (account: string) => (await api(`/v1/accounts/${account}/balance`)).body
const allEntries = async (account: string) =>
  (await api(`/v1/accounts/${account}/entries?limit=500`)).body.entries as Array<{
    sequence: number
    kind: string
    amount: number
    balanceAfter: number
    refundOf: number | null
    reason: string | null
    actor: string | null
    holdId: number | null
  }>

/** WCAG's contrast ratio of two CSS colours as the browser computes them (`rgb(r, g, b)`). */
const contrast = (first: string, second: string) => {
  const luminance = (color: string) => {
    const [r, g, b] = (color.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((channel) => {
      const c = Number(channel) / 255
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
    })
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
  }
  const [light, dark] = [luminance(first), luminance(second)].sort((a, b) => b - a)
  return (light! + 0.05) / (dark! + 0.05)
}

const openAccount = async (page: Page, account: string) => {
  await page.goto(`${service.url}/console#/accounts/${account}`)
  await expect.poll(() => page.getByRole("heading", { name: `Account ${account}` }).isVisible()).toBe(true)
}

/** The figure the account's page shows under `name`. */
const balanceShown = async (page: Page, name: "Balance" | "Held" | "Available") => {
  const item = page.getByRole("list", { name: "Credits" }).getByRole("listitem").filter({ hasText: name })
  return (await item.innerText()).replace(name, "").trim()
}

/** Fills an action's dialog, reviews it, and returns what the confirmation says will happen. */
const review = async (dialog: Locator, fields: Record<string, string>) => {
  for (const [label, value] of Object.entries(fields)) await dialog.getByLabel(label, { exact: true }).fill(value)
  await dialog.getByRole("button", { name: "Review" }).click()
  return dialog.locator(".confirmation").innerText()
}

/**
 * A top-up of 25 confirmed whose request the browser holds until `letGo`: a write in flight, its dialog
 * showing "Working…". `keys` are the idempotency keys of the requests sent.
 */
const topUpHeldInFlight = async (page: Page, account: string) => {
  let letGo = () => {}
  const held = new Promise<void>((resolve) => {
    letGo = resolve
  })
  const keys: Array<string | undefined> = []
  await page.route("**/top-ups", async (route) => {
    keys.push(route.request().headers()["idempotency-key"])
    await held
    await route.continue()
  })
  await page.getByRole("button", { name: "Top up" }).click()
  const dialog = page.getByRole("dialog", { name: `Top up ${account}` })
  await review(dialog, { "Amount (credits)": "25" })
  await dialog.getByRole("button", { name: "Confirm" }).click()
  await dialog.getByRole("button", { name: "Working…" }).waitFor()
  return { dialog, keys, letGo: () => letGo() }
}

const confirm = async (dialog: Locator) => {
  await dialog.getByRole("button", { name: "Confirm" }).click()
  const done = dialog.getByRole("status")
  await done.waitFor()
  const text = await done.innerText()
  await dialog.getByRole("button", { name: "Close" }).click()
  return text
}

const eventRow = (page: Page, type: string, account: string) =>
  page.getByRole("row").filter({ hasText: type }).filter({ hasText: account })

beforeAll(async () => {
  service = await startService({ DATABASE_URL: await createDatabase() })
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
  expect(await service?.stop("SIGTERM")).toBe(0)
})

const newWatchedPage = async (viewport?: { width: number; height: number }) => {
  watched = await watchedContext(browser, viewport)
  return watched.newPage()
}

/** The API refusals a test provokes on purpose; any other is a failure. */
let refusalsExpected: Array<RegExp> = []

afterEach(async () => {
  expect(watched.errors).toEqual([])
  expect(watched.refusals.filter((refusal) => !refusalsExpected.some((pattern) => pattern.test(refusal)))).toEqual([])
  refusalsExpected = []
  expect(watched.offHost).toEqual([])
  // The console is served from the service: every request went to it.
  expect(watched.requested.filter((url) => !url.startsWith("http://127.0.0.1:"))).toEqual([])
  await watched.context.close()
})

describe("the console, served by tally serve", () => {
  test("is served at /console with a strict content security policy, and its files come with it", async () => {
    const page = await api("/console")
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toContain("text/html")
    const policy = page.headers.get("content-security-policy") ?? ""
    expect(policy).toContain("default-src 'none'")
    expect(policy).toContain("script-src 'self'")
    expect(policy).toContain("connect-src 'self'")
    expect(policy).not.toContain("unsafe-inline")
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    const script = await api("/console/console.js")
    expect(script.status).toBe(200)
    expect(script.headers.get("content-type")).toContain("text/javascript")
    expect((await api("/console/nothing.js")).status).toBe(404)
    expect((await api("/console/")).text).toBe(page.text)
    // The page itself: opened in the browser, it lists accounts without asking for a token (loopback, none set).
    const browserPage = await newWatchedPage()
    await browserPage.goto(`${service.url}/console`)
    await browserPage.getByRole("heading", { name: "Accounts" }).waitFor()
    expect(await browserPage.getByRole("heading", { name: "Sign in" }).count()).toBe(0)
  })

  test("finds an account by the start of its id and shows the balance, entries and totals the API answers", async () => {
    const prefix = accountId("find")
    const [first, second] = [`${prefix}.a`, `${prefix}.b`]
    await topUp(first, 12_500, { reference: "order-1" })
    await spend(first, 1_234)
    await topUp(first, 300, { kind: "grant" })
    await api(`/v1/accounts/${first}/holds`, {
      body: { amount: 1_000 },
      headers: { "idempotency-key": "hold-1" },
    })
    await topUp(second, 40)

    const page = await newWatchedPage()
    await page.goto(`${service.url}/console`)
    await page.getByLabel("Account id or the start of one").fill(prefix)
    await page.getByRole("button", { name: "Find" }).click()
    const listed = page.getByRole("region", { name: "Accounts" })
    // Listed by last activity: the second account's entry is the newest.
    await expect.poll(() => listed.getByRole("link").allInnerTexts()).toEqual([second, first])
    await screenshot(page, "accounts")
    await listed.getByRole("link", { name: first }).click()
    await page.getByRole("heading", { name: `Account ${first}` }).waitFor()

    const api1 = await balances(first)
    expect(api1).toMatchObject({ balance: 11_566, held: 1_000, available: 10_566 })
    await expect.poll(() => balanceShown(page, "Balance")).toBe(credits(api1.balance))
    expect(await balanceShown(page, "Held")).toBe(credits(api1.held))
    expect(await balanceShown(page, "Available")).toBe(credits(api1.available))

    const entries = page.getByRole("region", { name: "Entries" })
    await entries.getByRole("row").nth(1).waitFor()
    const rows = await entries.getByRole("row").allInnerTexts()
    const expected = (await allEntries(first)).map((entry) => [
      String(entry.sequence),
      entry.kind,
      entry.amount > 0 ? `+${credits(entry.amount)}` : credits(entry.amount),
      credits(entry.balanceAfter),
    ])
    expect(rows.slice(1).map((row) => row.split("\t").filter((_, i) => [0, 2, 3, 4].includes(i)))).toEqual(expected)

    const totals = (await api(`/v1/accounts/${first}/totals`)).body.totals as Array<{
      kind: string
      entries: number
      amount: number
    }>
    const totalRows = await page.getByRole("region", { name: "Totals per kind" }).getByRole("row").allInnerTexts()
    expect(totalRows.slice(1).map((row) => row.split("\t"))).toEqual(
      totals.map((t) => [t.kind, credits(t.entries), t.amount > 0 ? `+${credits(t.amount)}` : credits(t.amount)]),
    )
    // Times in the viewer's zone; the same moment in UTC on hover.
    const time = entries.getByRole("row").nth(1).locator("time")
    expect(await time.getAttribute("title")).toMatch(/ UTC$/)

    await page.getByRole("img", { name: /^Balance over time/ }).waitFor()
    await screenshot(page, "account")

    // Filtered by kind, as the API filters: only the usage entry.
    await entries.getByLabel("Kind").selectOption("usage")
    await entries.getByRole("button", { name: "Apply filters" }).click()
    await expect.poll(async () => (await entries.getByRole("row").allInnerTexts()).length).toBe(2)
    expect(await entries.getByRole("row").nth(1).innerText()).toContain("-1,234")
  })

  test("the entries filter offers every kind of entry, the grant's expiry too", async () => {
    const account = accountId("expiry")
    await topUp(account, 100)
    await topUp(account, 40, { kind: "grant", expiresAt: new Date(Date.now() + 1_500).toISOString() })
    await expect
      .poll(async () => (await allEntries(account)).map((entry) => entry.kind), { timeout: 20_000 })
      .toContain("expiry")
    const page = await newWatchedPage()
    await openAccount(page, account)
    const entries = page.getByRole("region", { name: "Entries" })
    expect(await entries.getByLabel("Kind").locator("option").allInnerTexts()).toEqual([
      "Any kind",
      "top-up",
      "grant",
      "reversal",
      "usage",
      "refund",
      "adjustment",
      "expiry",
    ])
    await entries.getByLabel("Kind").selectOption("expiry")
    await entries.getByRole("button", { name: "Apply filters" }).click()
    await expect.poll(async () => (await entries.getByRole("row").allInnerTexts()).length).toBe(2)
    expect(await entries.getByRole("row").nth(1).innerText()).toContain("-40")
  })

  test("pages through 1,000 entries with the API's cursors, 50 at a time, without loading them all", async () => {
    const account = accountId("thousand")
    // Twenty at a time: the ledger numbers them in the order it takes them, whatever that order is.
    for (let batch = 0; batch < 50; batch++) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => topUp(account, batch * 20 + i + 1)))
    }
    const page = await newWatchedPage()
    await openAccount(page, account)
    const entries = page.getByRole("region", { name: "Entries" })
    const seen: Array<number> = []
    const older = page.getByRole("button", { name: "Older entries" })
    for (let pageNumber = 1; ; pageNumber++) {
      const first = (pageNumber - 1) * 50 + 1
      await entries
        .getByText(`Entries ${credits(first)}–${credits(Math.min(first + 49, 1_000))}, newest first`)
        .waitFor()
      const sequences = await entries.locator("tbody tr td:first-child").allInnerTexts()
      seen.push(...sequences.map(Number))
      if (await older.isDisabled()) break
      await older.click()
    }
    expect(seen).toEqual(Array.from({ length: 1_000 }, (_, i) => 1_000 - i))
    // Back one page with the cursor kept, not by reading from the start.
    await page.getByRole("button", { name: "Newer entries" }).click()
    await entries.getByText("Entries 901–950, newest first").waitFor()
    const tableReads = watched.requested.filter(
      (url) => url.includes(`/accounts/${account}/entries`) && /limit=50(&|$)/.test(url),
    )
    expect(tableReads).toHaveLength(21)
    expect(watched.requested.filter((url) => url.includes("/entries") && !/limit=(50|500)\b/.test(url))).toEqual([])
    expect(await balanceShown(page, "Balance")).toBe(credits(500_500))
  }, 180_000)

  test("the page of entries, the filters, the chart's range and the accounts shown are in the address: reload, Back and Forward keep them", async () => {
    const prefix = accountId("address")
    const account = `${prefix}.main`
    for (let i = 1; i <= 120; i++) await topUp(account, i, i % 2 === 0 ? { reference: "even" } : {})
    for (let i = 1; i <= 21; i++) await topUp(`${prefix}.${String(i).padStart(2, "0")}`, i)
    const page = await newWatchedPage()
    await openAccount(page, account)
    const entries = page.getByRole("region", { name: "Entries" })
    const caption = (text: string) => entries.getByText(text).waitFor()
    await caption("Entries 1–50, newest first")
    await page.getByRole("button", { name: "Older entries" }).click()
    await caption("Entries 51–100, newest first")
    await page.getByRole("button", { name: "Older entries" }).click()
    await caption("Entries 101–120, newest first")
    expect(await entries.locator("tbody tr td:first-child").first().innerText()).toBe("20")
    // Back goes one page back within the console, Forward forward again, and a reload stays where it is.
    await page.goBack()
    await caption("Entries 51–100, newest first")
    expect(page.url()).toContain(`/console#/accounts/${account}?page=`)
    await page.goForward()
    await caption("Entries 101–120, newest first")
    await page.reload()
    await caption("Entries 101–120, newest first")
    expect(await entries.locator("tbody tr td:first-child").first().innerText()).toBe("20")

    await entries.getByLabel("Reference").fill("even")
    await entries.getByRole("button", { name: "Apply filters" }).click()
    await caption("Entries 1–50, newest first")
    expect(page.url()).toContain("reference=even")
    await page.getByLabel("Range").selectOption({ label: "All time" })
    await expect.poll(() => page.url()).toContain("range=all")
    await page.reload()
    await caption("Entries 1–50, newest first")
    expect(await entries.getByLabel("Reference").inputValue()).toBe("even")
    expect(await entries.locator("tbody tr td:first-child").first().innerText()).toBe("120")
    expect(await entries.locator("tbody tr td:first-child").nth(1).innerText()).toBe("118")
    expect(await page.getByLabel("Range").inputValue()).toBe("all")

    await page.goto(`${service.url}/console#/?prefix=${prefix}.`)
    const listed = page.getByRole("region", { name: "Accounts" })
    await expect.poll(() => listed.getByRole("link").count()).toBe(20)
    await page.getByRole("button", { name: "More accounts" }).click()
    await expect.poll(() => listed.getByRole("link").count()).toBe(22)
    expect(page.url()).toContain("pages=2")
    await page.reload()
    await expect.poll(() => listed.getByRole("link").count()).toBe(22)
    await page.goBack()
    await expect.poll(() => listed.getByRole("link").count()).toBe(20)
  }, 60_000)

  test("the keyboard stays on Older and Newer while their page loads", async () => {
    const account = accountId("pagerkeys")
    for (let i = 1; i <= 60; i++) await topUp(account, i)
    const page = await newWatchedPage()
    await openAccount(page, account)
    const entries = page.getByRole("region", { name: "Entries" })
    await entries.getByText("Entries 1–50, newest first").waitFor()
    const focused = () => page.evaluate<string | undefined>("document.activeElement?.textContent")
    await page.getByRole("button", { name: "Older entries" }).focus()
    await page.keyboard.press("Enter")
    await entries.getByText("Entries 51–60, newest first").waitFor()
    expect(await focused()).toBe("Older entries")
    await page.keyboard.press("Shift+Tab")
    expect(await focused()).toBe("Newer entries")
    await page.keyboard.press("Enter")
    await entries.getByText("Entries 1–50, newest first").waitFor()
    expect(await focused()).toBe("Newer entries")
  })

  test("each action goes through the API, changes the ledger as confirmed, and its event shows in the live feed", async () => {
    const account = accountId("actions")
    await topUp(account, 1_000)
    await api(`/v1/accounts/${account}/auto-top-up`, { method: "PUT", body: { threshold: 100, amount: 500 } })

    const feed = await newWatchedPage()
    await feed.goto(`${service.url}/console#/events?account=${account}`)
    await feed.getByText("Live: new events appear as they happen.").waitFor()

    const page = await watched.newPage()
    await openAccount(page, account)

    // Top-up with a ceiling: clamped, as the confirmation says.
    await page.getByRole("button", { name: "Top up" }).click()
    let dialog = page.getByRole("dialog", { name: `Top up ${account}` })
    expect(await review(dialog, { "Amount (credits)": "800", "Ceiling (optional)": "1500" })).toBe(
      "Top up 800 with ceiling 1,500 (clamped to 500 by the ceiling): balance 1,000 → 1,500.",
    )
    expect(await confirm(dialog)).toContain("the balance is now 1,500")
    expect(await balances(account)).toMatchObject({ balance: 1_500 })
    const [clamped] = await allEntries(account)
    expect(clamped).toMatchObject({ sequence: 2, kind: "top-up", amount: 500 })
    await expect.poll(() => balanceShown(page, "Balance")).toBe("1,500")

    // Adjustment with its reason and actor.
    await page.getByRole("button", { name: "Adjust" }).click()
    dialog = page.getByRole("dialog", { name: `Adjust ${account}` })
    expect(
      await review(dialog, {
        "Amount (credits, negative to remove)": "-250",
        Reason: "duplicate charge",
        "Actor (who makes it)": "support@example.com",
      }),
    ).toBe("Adjust by -250 (reason “duplicate charge”, by support@example.com): balance 1,500 → 1,250.")
    await confirm(dialog)
    expect((await allEntries(account))[0]).toMatchObject({
      kind: "adjustment",
      amount: -250,
      reason: "duplicate charge",
      actor: "support@example.com",
    })

    // Refund of the first top-up, prefilled with what is left to refund of it.
    await page.getByRole("button", { name: "Refund entry #1" }).click()
    dialog = page.getByRole("dialog", { name: "Refund entry #1" })
    expect(await dialog.getByLabel("Amount to refund (credits)").inputValue()).toBe("1000")
    expect(await review(dialog, { "Amount to refund (credits)": "300" })).toBe(
      "Refund 300 of entry #1 (top-up +1,000): balance 1,250 → 950.",
    )
    await confirm(dialog)
    expect((await allEntries(account))[0]).toMatchObject({ kind: "refund", amount: -300, refundOf: 1 })
    await page.getByRole("button", { name: "Refund entry #1" }).click()
    dialog = page.getByRole("dialog", { name: "Refund entry #1" })
    expect(await dialog.getByLabel("Amount to refund (credits)").inputValue()).toBe("700")
    // More than is left does not reach the confirmation.
    await dialog.getByLabel("Amount to refund (credits)").fill("701")
    expect(await dialog.getByRole("button", { name: "Review" }).isDisabled()).toBe(true)
    expect(await dialog.innerText()).toContain("a whole number from 1 to 700")
    await dialog.getByRole("button", { name: "Cancel" }).click()

    // A hold placed by the app: captured in part from the console, and another released.
    for (const key of ["run-1", "run-2"]) {
      const placed = await api(`/v1/accounts/${account}/holds`, {
        body: { amount: 200 },
        headers: { "idempotency-key": key },
      })
      expect(placed.status).toBe(200)
    }
    await page.reload()
    const openHolds = page.getByRole("region", { name: "Open holds" })
    await expect.poll(() => openHolds.getByRole("rowheader").allInnerTexts()).toEqual(["#1", "#2"])
    await openHolds.getByRole("button", { name: "Capture hold #1" }).click()
    dialog = page.getByRole("dialog", { name: "Capture hold #1" })
    // Capturing past the hold releases nothing: the preview says where the rest comes from.
    expect(await review(dialog, { "Amount to capture (credits)": "250" })).toBe(
      "Capture 250 of hold #1 as usage, its 200 and 50 beyond it, from the available balance: balance 950 → 700.",
    )
    await dialog.getByRole("button", { name: "Back" }).click()
    expect(await review(dialog, { "Amount to capture (credits)": "150" })).toBe(
      "Capture 150 of hold #1 as usage, releasing the rest (50): balance 950 → 800.",
    )
    await confirm(dialog)
    expect((await allEntries(account))[0]).toMatchObject({ kind: "usage", amount: -150, holdId: 1 })
    expect((await api(`/v1/accounts/${account}/holds/1`)).body).toMatchObject({ status: "captured", captured: 150 })
    await expect.poll(() => openHolds.getByRole("rowheader").allInnerTexts()).toEqual(["#2"])
    await openHolds.getByRole("button", { name: "Release hold #2" }).click()
    dialog = page.getByRole("dialog", { name: "Release hold #2" })
    await dialog.getByRole("button", { name: "Review" }).click()
    expect(await dialog.locator(".confirmation").innerText()).toBe(
      "Release hold #2: frees 200; available 600 → 800, the balance stays 800.",
    )
    await confirm(dialog)
    expect((await api(`/v1/accounts/${account}/holds/2`)).body).toMatchObject({ status: "released" })
    expect(await balances(account)).toEqual({
      accountId: account,
      balance: 800,
      held: 0,
      available: 800,
      expiresNext: null,
    })
    await page.getByText("No open hold.").waitFor()
    // A resolved hold still opens by its id.
    await page.getByLabel("Hold id").fill("1")
    await page.getByRole("button", { name: "Look up" }).click()
    await page.getByRole("heading", { name: "Hold #1" }).waitFor()
    expect(await page.getByRole("heading", { name: "Hold #1" }).locator("..").innerText()).toContain("captured")

    // The app's spend leaves the balance below the threshold: a request opens, and the feed shows it live.
    await spend(account, 750)
    await eventRow(feed, "auto_top_up.requested", account).waitFor()
    await page.reload()
    await page.getByRole("heading", { name: "Open request #1" }).waitFor()
    await page.getByRole("button", { name: "Complete request" }).click()
    dialog = page.getByRole("dialog", { name: "Complete auto top-up request #1" })
    expect(await review(dialog, { "Payment reference": "pi_console_1" })).toBe(
      "Complete auto top-up request #1 with payment pi_console_1: credits 500, balance 50 → 550.",
    )
    await confirm(dialog)
    expect((await api(`/v1/accounts/${account}/auto-top-up/requests/1`)).body).toMatchObject({
      status: "completed",
      paymentReference: "pi_console_1",
    })
    expect(await balances(account)).toMatchObject({ balance: 550 })
    await eventRow(feed, "auto_top_up.completed", account).waitFor()
    // The entry links to the request it completes.
    await page.getByText("completes auto top-up request #1").waitFor()

    await spend(account, 500)
    await eventRow(feed, "auto_top_up.requested", account).nth(1).waitFor()
    await page.reload()
    await page.getByRole("button", { name: "Fail request" }).click()
    dialog = page.getByRole("dialog", { name: "Fail auto top-up request #2" })
    await review(dialog, { Reason: "card_declined" })
    await confirm(dialog)
    expect((await api(`/v1/accounts/${account}/auto-top-up/requests/2`)).body).toMatchObject({
      status: "failed",
      failureReason: "card_declined",
    })
    await eventRow(feed, "auto_top_up.failed", account).waitFor()
    await screenshot(feed, "events")

    // The feed filters by type too.
    await feed.getByLabel("Type").selectOption("auto_top_up.failed")
    await expect.poll(() => feed.getByRole("region", { name: "Events" }).getByRole("row").count()).toBe(2)
  }, 180_000)

  test("a refused action shows the API's own error and writes nothing", async () => {
    refusalsExpected = [/status of 409\b.*\/top-ups/, /status of 409\b.*\/adjustments/]
    const account = accountId("refused")
    await topUp(account, 1_000)
    const page = await newWatchedPage()
    await openAccount(page, account)
    await page.getByRole("button", { name: "Top up" }).click()
    const dialog = page.getByRole("dialog", { name: `Top up ${account}` })
    expect(await review(dialog, { "Amount (credits)": "200", "Ceiling (optional)": "800" })).toContain(
      "already at or above the ceiling, so the service will refuse it",
    )
    await dialog.getByRole("button", { name: "Confirm" }).click()
    const alert = dialog.getByRole("alert")
    await alert.waitFor()
    expect(await alert.innerText()).toContain("BalanceAtCeiling (HTTP 409): You already have enough balance")
    await screenshot(page, "refused")
    await dialog.getByRole("button", { name: "Back" }).click()
    await dialog.getByRole("button", { name: "Cancel" }).click()

    await page.getByRole("button", { name: "Adjust" }).click()
    const adjust = page.getByRole("dialog", { name: `Adjust ${account}` })
    await review(adjust, {
      "Amount (credits, negative to remove)": "-5000",
      Reason: "test",
      "Actor (who makes it)": "ops",
    })
    await adjust.getByRole("button", { name: "Confirm" }).click()
    expect(await adjust.getByRole("alert").innerText()).toContain("InsufficientCredits (HTTP 409)")

    expect(await allEntries(account)).toHaveLength(1)
    expect(await balances(account)).toMatchObject({ balance: 1_000 })
  })

  test("an answer lost on its way back is not called nothing written: confirming again answers the write, once", async () => {
    const account = accountId("lost")
    await topUp(account, 100)
    const page = await newWatchedPage()
    await openAccount(page, account)
    // The top-up reaches the service and is written; its answer never reaches the page.
    let lost = 0
    await page.route("**/top-ups", async (route) => {
      await route.fetch()
      lost++
      await route.abort("connectionreset")
    })
    await page.getByRole("button", { name: "Top up" }).click()
    const dialog = page.getByRole("dialog", { name: `Top up ${account}` })
    await review(dialog, { "Amount (credits)": "50" })
    await dialog.getByRole("button", { name: "Confirm" }).click()
    const alert = dialog.getByRole("alert")
    await alert.waitFor()
    expect(lost).toBe(1)
    expect(await alert.innerText()).toContain("It is not known whether this was written")
    expect(await alert.innerText()).not.toContain("Nothing was written")
    // No way back to the form, whose next confirmation would carry a new key.
    expect(await dialog.getByRole("button", { name: "Back" }).count()).toBe(0)
    // The browser logs the cut connection; it is the failure this test makes.
    await expect.poll(() => watched.errors.length).toBeGreaterThan(0)
    expect(watched.errors.every((error) => /ERR_CONNECTION_RESET/.test(error))).toBe(true)
    watched.errors.length = 0
    await page.unroute("**/top-ups")
    expect(await confirm(dialog)).toContain("the balance is now 150")
    const entries = await allEntries(account)
    expect(entries.map((entry) => entry.amount)).toEqual([50, 100])
    await expect.poll(() => balanceShown(page, "Balance")).toBe("150")
  })

  test("while a write is in flight its dialog neither goes back to the form nor closes, so it is written once", async () => {
    const account = accountId("inflight")
    await topUp(account, 1_000)
    const page = await newWatchedPage()
    await openAccount(page, account)
    // The top-up waits at the browser until the test lets it go: an answer that is slow to come.
    const { dialog, keys, letGo } = await topUpHeldInFlight(page, account)
    expect(await dialog.getByRole("button", { name: "Back" }).isDisabled()).toBe(true)
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    await page.waitForTimeout(300)
    expect(await dialog.isVisible()).toBe(true)
    letGo()
    expect(await dialog.getByRole("status").innerText()).toContain("the balance is now 1,025")
    expect(keys).toHaveLength(1)
    expect((await allEntries(account)).map((entry) => entry.amount)).toEqual([25, 1_000])
  })

  test("while a write is in flight the browser's Back does not take the page, and its dialog, away", async () => {
    const account = accountId("inflightback")
    await topUp(account, 1_000)
    const page = await newWatchedPage()
    await page.goto(`${service.url}/console#/`)
    await page.getByRole("heading", { name: "Accounts" }).waitFor()
    await openAccount(page, account)
    const { dialog, letGo } = await topUpHeldInFlight(page, account)
    await page.goBack()
    await page.waitForTimeout(300)
    expect(await dialog.isVisible()).toBe(true)
    expect(page.url()).toBe(`${service.url}/console#/accounts/${account}`)
    letGo()
    expect(await dialog.getByRole("status").innerText()).toContain("the balance is now 1,025")
    await dialog.getByRole("button", { name: "Close" }).click()
    // Once answered, Back goes back again.
    await page.goBack()
    await page.getByRole("heading", { name: "Accounts" }).waitFor()
    expect((await allEntries(account)).map((entry) => entry.amount)).toEqual([25, 1_000])
  })

  test("Enter pressed twice on an action's form shows the review and confirms nothing", async () => {
    const account = accountId("enter")
    await topUp(account, 100)
    const page = await newWatchedPage()
    await openAccount(page, account)
    await page.getByRole("button", { name: "Top up" }).click()
    const dialog = page.getByRole("dialog", { name: `Top up ${account}` })
    await dialog.getByLabel("Amount (credits)", { exact: true }).fill("40")
    await page.keyboard.press("Enter")
    await page.waitForTimeout(80)
    await page.keyboard.press("Enter")
    await page.waitForTimeout(1_000)
    expect(await allEntries(account)).toHaveLength(1)
    expect(await dialog.getByRole("status").count()).toBe(0)
    expect(await dialog.locator(".confirmation").innerText()).toBe("Top up 40: balance 100 → 140.")
    // Once seen, the review confirms.
    expect(await confirm(dialog)).toContain("the balance is now 140")
    expect(await allEntries(account)).toHaveLength(2)
  })

  test("a preview is worked out from the balance read when Review is pressed, not when the dialog opened", async () => {
    const account = accountId("fresh")
    await topUp(account, 100)
    const page = await newWatchedPage()
    await openAccount(page, account)
    await page.getByRole("button", { name: "Top up" }).click()
    const dialog = page.getByRole("dialog", { name: `Top up ${account}` })
    await dialog.getByLabel("Amount (credits)", { exact: true }).fill("5")
    // The app tops up while the operator fills in the form.
    await topUp(account, 10)
    // The balance read is held a moment, to see that the review waits for it.
    let reads = 0
    await page.route("**/balance", async (route) => {
      reads++
      await new Promise((resolve) => setTimeout(resolve, 500))
      await route.continue()
    })
    await dialog.getByRole("button", { name: "Review" }).click()
    await dialog.getByText("Reading the balance…").waitFor()
    expect(await dialog.locator(".confirmation").innerText()).toBe("Top up 5: balance 110 → 115.")
    expect(reads).toBe(1)
    await page.unroute("**/balance")
    expect(await confirm(dialog)).toContain("the balance is now 115")
  })

  test("a preview is exact past 2^53 - 1 and says when the service will refuse it: the largest balance, the floor", async () => {
    const account = accountId("bounds")
    await topUp(account, 1_000)
    const page = await newWatchedPage()
    await openAccount(page, account)
    await page.getByRole("button", { name: "Top up" }).click()
    const dialog = page.getByRole("dialog", { name: `Top up ${account}` })
    expect(await review(dialog, { "Amount (credits)": "9007199254740991" })).toBe(
      "Top up 9,007,199,254,740,991: balance 1,000 → 9,007,199,254,741,991. It would pass the largest balance the ledger holds, 9,007,199,254,740,991, so the service will refuse it (BalanceLimitExceeded).",
    )
    await dialog.getByRole("button", { name: "Back" }).click()
    await dialog.getByRole("button", { name: "Cancel" }).click()

    await page.getByRole("button", { name: "Adjust" }).click()
    const adjust = page.getByRole("dialog", { name: `Adjust ${account}` })
    expect(
      await review(adjust, {
        "Amount (credits, negative to remove)": "-1500",
        Reason: "  chargeback ",
        "Actor (who makes it)": "ops",
      }),
    ).toBe(
      "Adjust by -1,500 (reason “chargeback”, by ops): balance 1,000 → -500. Available 1,000 → -500 would go below the account's floor 0, so the service will refuse it (InsufficientCredits).",
    )
    await adjust.getByRole("button", { name: "Back" }).click()
    // Within an overdraft of 600 the same removal goes through, and the reason is recorded trimmed.
    expect(
      (await api(`/v1/accounts/${account}/settings`, { method: "PUT", body: { overdraftLimit: 600 } })).status,
    ).toBe(200)
    expect(await review(adjust, {})).toBe("Adjust by -1,500 (reason “chargeback”, by ops): balance 1,000 → -500.")
    await confirm(adjust)
    expect((await allEntries(account))[0]).toMatchObject({ amount: -1_500, reason: "chargeback", actor: "ops" })
  })

  test("the keyboard, the address and mistyped input: skip link, focus, a broken link, 2^53 + 1, a backwards range, a bad hold id", async () => {
    const account = accountId("keys")
    await topUp(account, 100)
    const page = await newWatchedPage()
    await openAccount(page, account)
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    // The skip link moves focus to the content and stays on the page.
    await expect.poll(() => page.url()).toBe(`${service.url}/console#/accounts/${account}`)
    await expect.poll(() => page.evaluate<string | undefined>("document.activeElement?.id")).toBe("main")
    expect(await page.getByRole("heading", { name: `Account ${account}` }).isVisible()).toBe(true)

    const opener = page.getByRole("button", { name: "Top up" })
    await opener.click()
    const dialog = page.getByRole("dialog", { name: `Top up ${account}` })
    await dialog.getByLabel("Amount (credits)", { exact: true }).fill("9007199254740993")
    expect(await dialog.getByRole("button", { name: "Review" }).isDisabled()).toBe(true)
    expect(await dialog.innerText()).toContain("a whole number from 1 to 9,007,199,254,740,991")
    await review(dialog, { "Amount (credits)": "5" })
    const focused = () => page.evaluate<string | undefined>("document.activeElement?.textContent")
    await expect.poll(focused).toBe("Confirm")
    await confirm(dialog)
    await expect.poll(focused).toBe("Top up")

    // A time range backwards finds nothing, and says why.
    const filters = page.getByRole("form", { name: "Entry filters" })
    await filters.getByLabel("From", { exact: true }).fill("2026-12-08T10:00:00")
    await filters.getByLabel("To", { exact: true }).fill("2026-12-07T10:00:00")
    await filters.getByRole("button", { name: "Apply filters" }).click()
    await page.getByText("No entries: From is not before To").waitFor()

    // A hold id that is not one is said to be so, not ignored.
    await page.getByLabel("Hold id").fill("-1")
    await page.getByRole("button", { name: "Look up" }).click()
    expect(await page.getByRole("alert").innerText()).toContain("A hold's id is a whole number from 1")

    await page.goto(`${service.url}/console#/accounts/%E0%A4%A`)
    await page.getByRole("heading", { name: "No such address" }).waitFor()
    expect(await page.getByRole("navigation", { name: "Console" }).isVisible()).toBe(true)
  })

  test("a page opened while the service does not answer opens by itself once it does", async () => {
    const page = await newWatchedPage()
    let refused = 0
    await page.route("**/v1/accounts?limit=1", (route) =>
      refused++ < 2 ? route.abort("connectionrefused") : route.continue(),
    )
    await page.goto(`${service.url}/console`)
    await page.getByText("Trying again every few seconds").waitFor()
    await page.getByRole("heading", { name: "Accounts" }).waitFor({ timeout: 15_000 })
    expect(refused).toBe(3)
    // The browser logs the refused connections; they are the failure this test makes.
    expect(watched.errors.every((error) => /ERR_CONNECTION_REFUSED/.test(error))).toBe(true)
    watched.errors.length = 0
  })

  test("while the ledger is unavailable the pages say so, not that the account is missing, and recover by themselves", async () => {
    const account = accountId("outage")
    await topUp(account, 100)
    const page = await newWatchedPage()
    // The list of accounts and this account's reads answer as during a database outage; the console's
    // first check (limit=1) answers, as it does while the service itself runs.
    const outage = (url: URL) =>
      (url.pathname === "/v1/accounts" && url.searchParams.get("limit") === "20") ||
      url.pathname.startsWith(`/v1/accounts/${account}/`)
    const unavailable = (route: Route) =>
      route.fulfill({
        status: 503,
        headers: { "retry-after": "1" },
        contentType: "application/json",
        body: JSON.stringify({ _tag: "LedgerUnavailable", message: "the ledger's storage is unavailable" }),
      })
    const retrying = page.getByText("The ledger is unavailable: trying again by itself").first()
    await page.route(outage, unavailable)
    await page.goto(`${service.url}/console`)
    await retrying.waitFor()
    await page.unroute(outage, unavailable)
    await page.getByRole("region", { name: "Accounts" }).waitFor({ timeout: 20_000 })

    await page.route(outage, unavailable)
    await page.goto(`${service.url}/console#/accounts/${account}`)
    await retrying.waitFor()
    expect(await page.getByRole("main").innerText()).not.toContain("check the id")
    await page.unroute(outage, unavailable)
    await expect.poll(() => balanceShown(page, "Balance"), { timeout: 20_000 }).toBe("100")

    // A panel whose read fails once the page is open recovers too.
    await page.route(outage, unavailable)
    await page.getByLabel("Range").selectOption({ label: "All time" })
    await retrying.waitFor()
    await page.unroute(outage, unavailable)
    await page.getByRole("img", { name: /^Balance over time/ }).waitFor({ timeout: 20_000 })
    // The browser logs the 503s; they are the outage this test makes.
    expect(watched.errors.every((error) => /status of 503\b/.test(error))).toBe(true)
    watched.errors.length = 0
  })

  test("the events of one account show however many events of others came after them", async () => {
    const [quiet, busy] = [accountId("quiet"), accountId("busy")]
    const pending = (account: string, key: string) =>
      api(`/v1/accounts/${account}/pending-credits`, { body: { amount: 10 }, headers: { "idempotency-key": key } })
    expect((await pending(quiet, "quiet-1")).status).toBe(200)
    // More than the 500 events the page keeps, all after the quiet account's one.
    for (let index = 0; index < 600; index++) expect((await pending(busy, `busy-${index}`)).status).toBe(200)
    const page = await newWatchedPage()
    await page.goto(`${service.url}/console#/events?account=${quiet}`)
    await page.getByText("Live: new events appear as they happen.").waitFor()
    await expect.poll(() => eventRow(page, "credit.pending", quiet).count()).toBe(1)
    await page.goto(`${service.url}/console#/events?account=${busy}`)
    await page.getByText("Live: new events appear as they happen.").waitFor()
    await expect.poll(() => eventRow(page, "credit.pending", busy).count()).toBe(500)
    expect(await eventRow(page, "credit.pending", quiet).count()).toBe(0)
  })

  test("more open holds than the API lists: the page says how many it shows and what the others reserve", async () => {
    const account = accountId("holds")
    await topUp(account, 10_000)
    for (let hold = 1; hold <= 201; hold++) {
      const placed = await api(`/v1/accounts/${account}/holds`, {
        body: { amount: hold === 201 ? 50 : 1 },
        headers: { "idempotency-key": `hold-${hold}` },
      })
      expect(placed.status).toBe(200)
    }
    const page = await newWatchedPage()
    await openAccount(page, account)
    const note = page.getByRole("note")
    await note.waitFor()
    expect(await note.innerText()).toBe(
      "Showing the oldest 200 open holds, the most the API lists; they reserve 200 of the 250 held. More open holds reserve the other 50: look one up by its id below.",
    )
    expect(await page.getByRole("region", { name: "Open holds" }).locator("tbody tr").count()).toBe(200)
  })

  test("long references, reasons and URLs wrap within the page, and a bidi override shows as such instead of reordering the text", async () => {
    const account = accountId("long")
    await topUp(account, 1_000, { reference: "r".repeat(255) })
    const adjusted = await api(`/v1/accounts/${account}/adjustments`, {
      body: { amount: -1, reason: `${"why ".repeat(125)}`.trim(), actor: "ops" },
      headers: { "idempotency-key": "long-reason" },
    })
    expect(adjusted.status).toBe(200)
    const override = await api(`/v1/accounts/${account}/adjustments`, {
      body: { amount: 1, reason: "invoice-\u202Egnp.exe", actor: "ops" },
      headers: { "idempotency-key": "override-reason" },
    })
    expect(override.status).toBe(200)
    const hook = await api("/v1/webhooks", { body: { url: `http://127.0.0.1:9/${"segment".repeat(60)}` } })
    expect(hook.status).toBe(200)
    try {
      for (const viewport of [
        { width: 1280, height: 900 },
        { width: 390, height: 844 },
      ]) {
        const page = await newWatchedPage(viewport)
        await openAccount(page, account)
        const entries = page.getByRole("region", { name: "Entries" })
        await entries.getByRole("row").nth(3).waitFor()
        // The table scrolls within its region on a narrow screen, as it does without long text; it is
        // no wider than a wide screen (a 255-character reference made it 10,811 px).
        expect(await entries.locator("table").evaluate((table) => table.scrollWidth)).toBeLessThanOrEqual(1_280)
        expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(viewport.width)
        // The override is shown, not obeyed: the text reads in the order it was written.
        const newest = await entries.getByRole("row").nth(1).innerText()
        expect(newest).toContain("reason: invoice-⟨U+202E⟩gnp.exe")
        expect(newest).not.toContain("\u202E")
        await screenshot(page, `long-text-${viewport.width}`)
        await page.goto(`${service.url}/console#/webhooks`)
        await page.getByRole("heading", { name: /segmentsegment/ }).waitFor()
        await expect.poll(() => page.locator("[aria-busy=true]").count()).toBe(0)
        expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(viewport.width)
        if (viewport.width === 1280) {
          // Each context's errors are checked before the next: afterEach checks the last one's.
          expect(watched.errors).toEqual([])
          await watched.context.close()
        }
      }
    } finally {
      await api(`/v1/webhooks/${hook.body.id}`, { method: "DELETE" })
    }
  })

  test("light reads: opening an action reads nothing, the chart after it reads only what is new, and webhooks read the deliveries in view, a few at a time", async () => {
    const account = accountId("light")
    for (let batch = 0; batch < 6; batch++) await Promise.all(Array.from({ length: 100 }, () => topUp(account, 1)))
    const page = await newWatchedPage()
    await openAccount(page, account)
    await page.getByRole("img", { name: /^Balance over time: 600 entries/ }).waitFor()
    const reads = () => watched.requested.filter((url) => new URL(url).pathname.startsWith("/v1/"))
    const before = reads().length
    await page.getByRole("button", { name: "Top up" }).click()
    const dialog = page.getByRole("dialog", { name: `Top up ${account}` })
    await dialog.getByLabel("Amount (credits)", { exact: true }).fill("5")
    await page.waitForTimeout(300)
    expect(reads().slice(before)).toEqual([])
    await dialog.getByRole("button", { name: "Review" }).click()
    await dialog.locator(".confirmation").waitFor()
    expect(
      reads()
        .slice(before)
        .map((url) => new URL(url).pathname),
    ).toEqual([`/v1/accounts/${account}/balance`])
    const afterReview = reads().length
    await confirm(dialog)
    await page.getByRole("img", { name: /^Balance over time: 601 entries/ }).waitFor()
    // The chart read the entries since its newest, one page, not its 600 again.
    const chartReads = reads()
      .slice(afterReview)
      .filter((url) => url.includes("/entries") && url.includes("limit=500"))
    expect(chartReads).toHaveLength(1)
    expect(new URL(chartReads[0]!).searchParams.get("from")).not.toBeNull()

    const hooks: Array<string> = []
    try {
      for (let hook = 0; hook < 12; hook++) {
        const created = await api("/v1/webhooks", { body: { url: `http://127.0.0.1:9/light-${hook}` } })
        expect(created.status).toBe(200)
        hooks.push(created.body.id)
      }
      // Each deliveries read is held a moment (then goes on to the context's watch), to count how many run at once.
      let running = 0
      let mostAtOnce = 0
      const isDeliveries = (request: Request) => request.url().includes("/deliveries")
      page.on("request", (request) => {
        if (isDeliveries(request)) mostAtOnce = Math.max(mostAtOnce, ++running)
      })
      const settled = (request: Request) => {
        if (isDeliveries(request)) running--
      }
      page.on("requestfinished", settled)
      page.on("requestfailed", settled)
      await page.route("**/deliveries?*", async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 200))
        await route.fallback()
      })
      const deliveryReads = () => reads().filter((url) => url.includes("/deliveries")).length
      const start = deliveryReads()
      await page.goto(`${service.url}/console#/webhooks`)
      await page.getByRole("heading", { name: "http://127.0.0.1:9/light-0" }).waitFor()
      await expect.poll(() => page.locator("[aria-busy=true]").count()).toBe(0)
      const inView = deliveryReads() - start
      const endpoints = await page.getByRole("region", { name: /^Endpoint / }).count()
      expect(endpoints).toBeGreaterThanOrEqual(12)
      expect(inView).toBeLessThan(endpoints)
      expect(mostAtOnce).toBeLessThanOrEqual(4)
      // Scrolled to, the last endpoint's deliveries are read.
      const last = page.getByRole("region", { name: "Endpoint http://127.0.0.1:9/light-11" })
      await last.scrollIntoViewIfNeeded()
      await last.getByText("No delivery yet").waitFor()
    } finally {
      for (const id of hooks) await api(`/v1/webhooks/${id}`, { method: "DELETE" })
    }
  })

  test("an entry refunded in full offers no refund form, and an empty feed names every source of events", async () => {
    const account = accountId("refunded")
    await topUp(account, 100)
    await topUp(account, 30)
    const refunded = await api(`/v1/accounts/${account}/entries/2/refunds`, {
      body: {},
      headers: { "idempotency-key": "refund-all" },
    })
    expect(refunded.status).toBe(200)
    const page = await newWatchedPage()
    await openAccount(page, account)
    await page.getByRole("button", { name: "Refund entry #2" }).click()
    const dialog = page.getByRole("dialog", { name: "Refund entry #2" })
    expect(await dialog.innerText()).toContain("Entry #2 (top-up +30) is refunded in full: nothing is left to refund.")
    expect(await dialog.getByRole("button", { name: "Review" }).count()).toBe(0)
    await dialog.getByRole("button", { name: "Close" }).click()

    await page.goto(`${service.url}/console#/events?account=${account}`)
    await page.getByText("Live: new events appear as they happen.").waitFor()
    expect(await page.getByRole("main").innerText()).toContain(
      "Events come from auto top-up, low balances, refills, pending credits and grants that expire",
    )
  })

  test("the focus outline stands out 3:1 on every background it is drawn on, and negative amounts read 7:1", async () => {
    const account = accountId("contrast")
    await topUp(account, 1_000)
    await spend(account, 250)
    const page = await newWatchedPage()
    await openAccount(page, account)
    await page.getByRole("region", { name: "Entries" }).getByRole("row").nth(1).waitFor()
    await page.getByLabel("Hold id").fill("-1")
    await page.getByRole("button", { name: "Look up" }).click()
    await page.getByRole("alert").waitFor()
    // What is behind an element: the first background that is not transparent, out to the page's white.
    const behind = `const behind = (element) => {
      for (let at = element; at !== null; at = at.parentElement) {
        const color = getComputedStyle(at).backgroundColor
        if (color !== "rgba(0, 0, 0, 0)" && color !== "transparent") return color
      }
      return "rgb(255, 255, 255)"
    };`
    // The outline is drawn around the element, on its parent's background.
    const focusedOutline = () =>
      page.evaluate<{ name: string; outline: string; behind: string }>(`(() => { ${behind}
        const element = document.activeElement
        return { name: (element.getAttribute("aria-label") ?? element.textContent ?? "").trim().slice(0, 40),
          outline: getComputedStyle(element).outlineColor, behind: behind(element.parentElement) } })()`)
    const outlines: Array<{ name: string; outline: string; behind: string }> = []
    await page.locator("body").focus()
    for (let press = 0; press < 40; press++) {
      await page.keyboard.press("Tab")
      outlines.push(await focusedOutline())
    }
    await page.getByRole("button", { name: "Top up" }).focus()
    await page.keyboard.press("Enter")
    const dialog = page.getByRole("dialog", { name: `Top up ${account}` })
    await dialog.waitFor()
    for (let press = 0; press < 4; press++) {
      await page.keyboard.press("Tab")
      outlines.push(await focusedOutline())
    }
    // The page's white, the dialog's and the menu's dark header.
    expect(new Set(outlines.map((focused) => focused.behind))).toEqual(
      new Set(["rgb(255, 255, 255)", "rgb(17, 24, 39)"]),
    )
    expect(outlines.filter((focused) => contrast(focused.outline, focused.behind) < 3)).toEqual([])
    await page.keyboard.press("Escape")

    const negatives = await page.evaluate<Array<{ text: string; color: string; behind: string }>>(`(() => { ${behind}
      return [...document.querySelectorAll(".negative, .error")].map((element) => ({
        text: element.textContent.slice(0, 40), color: getComputedStyle(element).color, behind: behind(element) })) })()`)
    expect(negatives.map((negative) => negative.text)).toContain("-250")
    expect(negatives.length).toBeGreaterThan(1)
    expect(negatives.filter((negative) => contrast(negative.color, negative.behind) < 7)).toEqual([])
  })

  test("reads at 390 px wide: nothing but the tables scrolls sideways", async () => {
    const account = accountId("narrow")
    await topUp(account, 123_456, { reference: "a-long-reference-for-a-narrow-screen" })
    await spend(account, 1_000)
    const page = await newWatchedPage({ width: 390, height: 844 })
    for (const path of ["#/", `#/accounts/${account}`, "#/events", "#/webhooks", "#/audit"]) {
      await page.goto(`${service.url}/console${path}`)
      await page.getByRole("heading", { level: 1 }).waitFor()
      await expect.poll(() => page.locator("[aria-busy=true]").count()).toBe(0)
      expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390)
    }
    await openAccount(page, account)
    await expect.poll(() => balanceShown(page, "Balance")).toBe("122,456")
    await page.getByRole("region", { name: "Entries" }).getByRole("row").nth(1).waitFor()
    await page.getByRole("img", { name: /^Balance over time/ }).waitFor()
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390)
    await screenshot(page, "account-390")
    // The keyboard starts at the skip link, which leads past the menu to the page's content.
    await page.reload()
    await page.getByRole("heading", { name: `Account ${account}` }).waitFor()
    await page.keyboard.press("Tab")
    expect(await page.evaluate<string | undefined>("document.activeElement?.textContent")).toBe("Skip to content")
  })

  test("webhooks show their deliveries and attempts, and the audit its result", async () => {
    const created = await api("/v1/webhooks", { body: { url: "http://127.0.0.1:9/unreachable" } })
    expect(created.status).toBe(200)
    const account = accountId("hooked")
    await topUp(account, 100)
    await api(`/v1/accounts/${account}/auto-top-up`, { method: "PUT", body: { threshold: 50, amount: 100 } })
    await spend(account, 60)
    const page = await newWatchedPage()
    await page.goto(`${service.url}/console#/webhooks`)
    const endpoint = page.getByRole("region", { name: "Endpoint http://127.0.0.1:9/unreachable" })
    await endpoint.getByRole("row").filter({ hasText: "auto_top_up.requested" }).first().waitFor()
    const deliveries = (await api(`/v1/webhooks/${created.body.id}/deliveries`)).body.deliveries
    expect(deliveries.length).toBeGreaterThan(0)
    await page.getByRole("link", { name: "Audit" }).click()
    await page.getByRole("button", { name: "Run the audit" }).click()
    const result = page.getByRole("status", { name: "Audit result" })
    await result.waitFor()
    const report = (await api("/v1/audit")).body
    expect(report.violations).toEqual([])
    expect(await result.innerText()).toMatch(/Checked [\d,]+ accounts and [\d,]+ entries: no violation\./)
    await api(`/v1/webhooks/${created.body.id}`, { method: "DELETE" })
  })
})

describe("the console with a token", () => {
  const token = "console-token-0123456789abcdef"
  let guarded: Service

  beforeAll(async () => {
    guarded = await startService({ TALLY_API_TOKEN: token }, ["--memory"])
  })

  afterAll(async () => {
    expect(await guarded?.stop("SIGTERM")).toBe(0)
  })

  test("asks for the token once, refuses a wrong one with the API's answer, and keeps the right one for the tab", async () => {
    refusalsExpected = [/status of 401\b.*\/v1\/accounts\?limit=1/]
    const page = await newWatchedPage()
    await page.goto(`${guarded.url}/console`)
    await page.getByRole("heading", { name: "Sign in" }).waitFor()
    await page.getByLabel("API token").fill("wrong-token")
    await page.getByRole("button", { name: "Sign in" }).click()
    const alert = page.getByRole("alert")
    await alert.waitFor()
    expect(await alert.innerText()).toContain(
      "Unauthorized (HTTP 401): a valid Authorization: Bearer <token> header is required",
    )
    await screenshot(page, "sign-in")
    await page.getByLabel("API token").fill(token)
    await page.getByRole("button", { name: "Sign in" }).click()
    await page.getByRole("heading", { name: "Accounts" }).waitFor()
    // Kept for the tab: a reload does not ask again.
    await page.reload()
    await page.getByRole("heading", { name: "Accounts" }).waitFor()
    expect(await page.getByRole("heading", { name: "Sign in" }).count()).toBe(0)
    expect(watched.refusals).toHaveLength(2)
  })
})
