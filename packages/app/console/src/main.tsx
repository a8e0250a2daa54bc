import { render } from "preact"
import { useEffect, useState } from "preact/hooks"
import { Account } from "./Account.tsx"
import { Accounts } from "./Accounts.tsx"
import { Audit } from "./Audit.tsx"
import { ApiError, api, onUnauthorized, token, writesInFlight } from "./api.ts"
import { Events } from "./Events.tsx"
import "./console.css"
import { Failure } from "./ui.tsx"
import { Webhooks } from "./Webhooks.tsx"

/** Where the page is: `#/`, `#/accounts/<id>`, `#/events`, `#/webhooks`, `#/audit`, with a query. */
const routeOf = (hash: string) => {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?")
  return { path: path === "" ? "/" : path, params: new URLSearchParams(query) }
}

/** An account id from the address; undefined when its percent-encoding is broken (a mistyped link). */
const accountIdOf = (encoded: string) => {
  try {
    return decodeURIComponent(encoded)
  } catch {
    return undefined
  }
}

/** The skip link's address. The fragment is the route, so following it puts the route back and stays. */
const skipTarget = "#main"

/** How long a Back undone during a write is given to go forward again before the address is pushed back. */
const forwardWaitMs = 200

const useRoute = () => {
  const [route, setRoute] = useState(() => routeOf(location.hash))
  useEffect(() => {
    let routeHash = location.hash
    const change = () => {
      // Back to the page's own address (undone below): nothing changes.
      if (location.hash === routeHash) return
      // A write waits for its answer: the page stays. A Back is undone by going forward again, which
      // leaves the history as it was; an address typed, with nothing forward, by pushing the page's back.
      if (writesInFlight.count > 0) {
        history.forward()
        setTimeout(() => {
          if (location.hash !== routeHash) history.pushState(null, "", routeHash === "" ? "#/" : routeHash)
        }, forwardWaitMs)
        return
      }
      const next = routeOf(location.hash)
      // Another page takes the focus to its content; a change within the page (its filters, its
      // entries' page) leaves it on the control that made it.
      const samePage = location.hash !== skipTarget && next.path === routeOf(routeHash).path
      if (location.hash === skipTarget) history.replaceState(null, "", routeHash === "" ? "#/" : routeHash)
      else {
        routeHash = location.hash
        setRoute(next)
      }
      if (!samePage) document.getElementById("main")?.focus()
    }
    window.addEventListener("hashchange", change)
    return () => window.removeEventListener("hashchange", change)
  }, [])
  return route
}

const Page = () => {
  const { path, params } = useRoute()
  const account = /^\/accounts\/(.+)$/.exec(path)
  if (account !== null) {
    const accountId = accountIdOf(account[1]!)
    if (accountId === undefined) return <NotAnAccount encoded={account[1]!} />
    return <Account key={accountId} accountId={accountId} params={params} />
  }
  if (path === "/events") return <Events account={params.get("account") ?? ""} type={params.get("type") ?? ""} />
  if (path === "/webhooks") return <Webhooks />
  if (path === "/audit") return <Audit />
  return <Accounts prefix={params.get("prefix") ?? ""} pages={Number(params.get("pages") ?? 1)} />
}

const NotAnAccount = ({ encoded }: { encoded: string }) => (
  <div class="page">
    <h1>No such address</h1>
    <p role="alert">
      The address names an account as <code>{encoded}</code>, which is not a valid percent-encoded id.{" "}
      <a href="#/">Find the account</a> instead.
    </p>
  </div>
)

const Navigation = ({ onSignOut }: { onSignOut: (() => void) | null }) => {
  const { path } = useRoute()
  const current = (match: boolean) => (match ? { "aria-current": "page" as const } : {})
  return (
    <header>
      <a class="skip" href={skipTarget}>
        Skip to content
      </a>
      <nav aria-label="Console">
        <span class="brand">Tally</span>
        <a href="#/" {...current(path === "/" || path.startsWith("/accounts"))}>
          Accounts
        </a>
        <a href="#/events" {...current(path === "/events")}>
          Events
        </a>
        <a href="#/webhooks" {...current(path === "/webhooks")}>
          Webhooks
        </a>
        <a href="#/audit" {...current(path === "/audit")}>
          Audit
        </a>
        {onSignOut === null ? null : (
          <button type="button" class="secondary small" onClick={onSignOut}>
            Sign out
          </button>
        )}
      </nav>
    </header>
  )
}

/** The service's token, asked once per tab; the API itself says whether it is right. */
const SignIn = ({ refused, onSignedIn }: { refused: boolean; onSignedIn: () => void }) => {
  const [text, setText] = useState("")
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  return (
    <div class="page">
      <h1>Sign in</h1>
      <p>This Tally service needs its API token (TALLY_API_TOKEN). It is kept in this tab only, until you close it.</p>
      {refused && error === null ? <p role="alert">The service refused the token it had; enter it again.</p> : null}
      <form
        class="inline-form"
        onSubmit={async (event) => {
          event.preventDefault()
          setBusy(true)
          setError(null)
          try {
            await api.check(text)
            token.set(text)
            onSignedIn()
          } catch (failure) {
            setError(failure)
          } finally {
            setBusy(false)
          }
        }}
      >
        <label>
          API token
          <input
            type="password"
            value={text}
            autoComplete="off"
            onInput={(event) => setText(event.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={busy || text === ""}>
          Sign in
        </button>
      </form>
      {error === null ? null : <Failure error={error} action="Check the token the service was started with." />}
    </div>
  )
}

/** How long the page waits before asking an unreachable service again. */
const checkRetryMs = 3_000

const App = () => {
  // Whether the API answers this tab: "open" needs no token (loopback without one), "token" uses the kept one.
  const [access, setAccess] = useState<"checking" | "open" | "token" | "needed" | "refused">("checking")
  const [failure, setFailure] = useState<unknown>(null)
  useEffect(() => {
    let retry: ReturnType<typeof setTimeout> | undefined
    const check = () =>
      api.check().then(
        () => {
          setFailure(null)
          setAccess(token.get() === null ? "open" : "token")
        },
        (error) => {
          if (error instanceof ApiError && error.status === 401) {
            setAccess(token.get() === null ? "needed" : "refused")
            token.clear()
            return
          }
          // The service or its database is away: the page asks again until it answers.
          setFailure(error)
          retry = setTimeout(check, checkRetryMs)
        },
      )
    void check()
    const stopListening = onUnauthorized(() => {
      token.clear()
      setAccess("refused")
    })
    return () => {
      clearTimeout(retry)
      stopListening()
    }
  }, [])
  const signOut = () => {
    token.clear()
    setAccess("needed")
  }
  return (
    <>
      <Navigation onSignOut={access === "token" ? signOut : null} />
      <main id="main" tabIndex={-1}>
        {failure !== null ? (
          <div class="page">
            <h1>Tally console</h1>
            <Failure
              error={failure}
              action="Trying again every few seconds; the console opens once the service answers."
            />
          </div>
        ) : access === "checking" ? (
          <div class="page">
            <p aria-busy="true">Connecting…</p>
          </div>
        ) : access === "needed" || access === "refused" ? (
          <SignIn refused={access === "refused"} onSignedIn={() => setAccess("token")} />
        ) : (
          <Page />
        )}
      </main>
    </>
  )
}

const root = document.getElementById("app")!
// The page's "Loading" text goes: Preact renders beside what is there, never over it.
root.replaceChildren()
render(<App />, root)
