import { useEffect, useState } from "preact/hooks"
import { type AccountSummary, api } from "./api.ts"
import { credits } from "./format.ts"
import { retryDelayMs, worthRetrying } from "./load.ts"
import { ColumnHeads, Credits, Empty, ReadFailure, TableWrap, Time } from "./ui.tsx"

const accountHref = (accountId: string) => `#/accounts/${encodeURIComponent(accountId)}`
const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/

/** Accounts a page of the list holds; "More accounts" reads one more page. */
const pageSize = 20
/** The most pages an address asks for (`pages`): a link cannot make the page read without end. */
const pagesMax = 50

type AccountsPage = { readonly accounts: ReadonlyArray<AccountSummary>; readonly nextCursor: string | null }

/**
 * Find an account by its id or the start of it; without one, the most recently active accounts. How
 * many pages are shown is in the address (`#/?prefix=a&pages=3`), so a reload, Back and a link show
 * the same list.
 */
export const Accounts = ({ prefix, pages }: { prefix: string; pages: number }) => {
  const wanted = Number.isSafeInteger(pages) && pages >= 1 ? Math.min(pages, pagesMax) : 1
  const [text, setText] = useState(prefix)
  const [shown, setShown] = useState<{ prefix: string; pages: ReadonlyArray<AccountsPage> }>({ prefix, pages: [] })
  const [failed, setFailed] = useState<unknown>(null)
  // Bumped by "Retry now": the read starts again at once.
  const [asked, setAsked] = useState(0)
  useEffect(() => {
    setText(prefix)
    document.title = "Accounts · Tally console"
  }, [prefix])
  useEffect(() => {
    let current = true
    let failures = 0
    let retryTimer: ReturnType<typeof setTimeout> | undefined
    // The pages already read for this prefix are kept; Back to fewer pages shows fewer.
    let read = shown.prefix === prefix ? shown.pages.slice(0, wanted) : []
    setShown({ prefix, pages: read })
    setFailed(null)
    const readMore = async () => {
      while (current && read.length < wanted && (read.length === 0 || read.at(-1)!.nextCursor !== null)) {
        try {
          const cursor = read.at(-1)?.nextCursor ?? undefined
          const page = await api.accounts({ prefix: prefix === "" ? undefined : prefix, cursor, limit: pageSize })
          if (!current) return
          failures = 0
          read = [...read, { accounts: page.accounts, nextCursor: page.nextCursor }]
          setShown({ prefix, pages: read })
          setFailed(null)
        } catch (error) {
          if (!current) return
          failures++
          setFailed(error)
          // The ledger away: read again by itself until it answers.
          if (worthRetrying(error)) retryTimer = setTimeout(readMore, retryDelayMs(error, failures))
          return
        }
      }
    }
    void readMore()
    return () => {
      current = false
      clearTimeout(retryTimer)
    }
  }, [prefix, wanted, asked])
  const accounts =
    shown.prefix === prefix && shown.pages.length > 0 ? shown.pages.flatMap((page) => page.accounts) : null
  const last = shown.pages.at(-1)
  const readingMore = last !== undefined && last.nextCursor !== null && shown.pages.length < wanted
  const showMore = () => {
    const params = new URLSearchParams({ prefix, pages: String(shown.pages.length + 1) })
    if (prefix === "") params.delete("prefix")
    location.hash = `#/?${params}`
  }
  const valid = text === "" || idPattern.test(text)
  return (
    <div class="page">
      <h1>Accounts</h1>
      <search>
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault()
            if (valid) location.hash = text === "" ? "#/" : `#/?prefix=${encodeURIComponent(text)}`
          }}
        >
          <label>
            Account id or the start of one
            <input
              value={text}
              onInput={(event) => setText(event.currentTarget.value.trim())}
              aria-invalid={!valid}
              aria-describedby="find-hint"
              autoComplete="off"
            />
          </label>
          <button type="submit" disabled={!valid}>
            Find
          </button>
        </form>
      </search>
      <p id="find-hint" class="hint">
        {valid
          ? "Ids are letters, digits and . _ : - ; accounts are listed by their last entry, newest first."
          : "An account id has letters, digits and . _ : - only."}
      </p>
      {prefix !== "" && idPattern.test(prefix) ? (
        <p>
          <a href={accountHref(prefix)}>Open account {prefix}</a>
        </p>
      ) : null}
      <h2>{prefix === "" ? "Recently active" : `Accounts starting with “${prefix}”`}</h2>
      {failed !== null ? (
        <ReadFailure loaded={{ error: failed, retrying: worthRetrying(failed), retry: () => setAsked((n) => n + 1) }} />
      ) : accounts === null ? (
        <p aria-busy="true">Loading accounts…</p>
      ) : accounts.length === 0 ? (
        <Empty>
          {prefix === ""
            ? "No account has an entry yet: top one up through the API (see /docs) or open one by its id above."
            : "No account with entries starts with that: check the id, or open it directly with the link above."}
        </Empty>
      ) : (
        <>
          <TableWrap label="Accounts">
            <table>
              <ColumnHeads
                columns={["Account", "Balance", "Held", "Available", "Entries", "Last entry"]}
                numeric={["Balance", "Held", "Available", "Entries"]}
              />
              <tbody>
                {accounts.map((account) => (
                  <tr key={account.accountId}>
                    <th scope="row">
                      <a href={accountHref(account.accountId)}>{account.accountId}</a>
                    </th>
                    <td class="num">
                      <Credits value={account.balance} />
                    </td>
                    <td class="num">
                      <Credits value={account.held} />
                    </td>
                    <td class="num">
                      <Credits value={account.available} />
                    </td>
                    <td class="num">
                      <Credits value={account.entries} />
                    </td>
                    <td>
                      <Time iso={account.lastEntryAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {last?.nextCursor == null ? null : shown.pages.length >= pagesMax ? (
            <p class="hint">
              The list stops at {credits(pagesMax * pageSize)} accounts: find the one you want by the start of its id.
            </p>
          ) : (
            // aria-disabled while the page is read, not disabled: a disabled button would drop the keyboard's focus.
            <button
              type="button"
              aria-disabled={readingMore}
              onClick={() => {
                if (!readingMore) showMore()
              }}
            >
              More accounts
            </button>
          )}
        </>
      )}
    </div>
  )
}
