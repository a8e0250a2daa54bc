import * as Net from "node:net"

/**
 * A TCP proxy between a ledger and PostgreSQL that injects connection faults on command. It reads
 * the frontend protocol (startup, then typed messages) to know which statement each Execute runs,
 * so it can cut a connection at an exact point: right after it forwards a COMMIT (the transaction
 * commits, the client never hears so), or instead of forwarding it (the transaction aborts, the
 * client cannot tell either). The server's answers pass through untouched.
 *
 * It also partitions without closing anything (`blackhole`): bytes in a blocked direction are held,
 * as TCP keeps retransmitting them, and delivered in order when the partition heals; a side that
 * closes meanwhile is not heard of on the other side until then. Connections it `strand`s stay
 * partitioned for good, while new ones pass.
 */

/**
 * Which way bytes stop: both, only the server's answers, or the answers after the first byte of the
 * next one on each connection (a server that stops in the middle of an answer).
 */
export type Blocked = "both" | "answers" | "answers-after-a-byte"

/** Which statement an armed cut waits for, by its SQL text. */
export type StatementMatch = (sql: string) => boolean

export const isCommit: StatementMatch = (sql) => /^\s*COMMIT\b/i.test(sql)

/** The compare-and-swap statement that writes a batch in autocommit (`PgCasBatch`): it commits by itself. */
export const isCompareAndSwap: StatementMatch = (sql) => sql.includes("written AS (")

/** Whichever statement commits a write: a locked transaction's COMMIT, or the compare-and-swap statement. */
export const isCommitting: StatementMatch = (sql) => isCommit(sql) || isCompareAndSwap(sql)

export interface Cut {
  /** Forward the statement (through its Sync) and then cut, or cut instead of forwarding it. */
  readonly deliver: boolean
  readonly match: StatementMatch
  /** Runs once the cut is done, for a fault that follows it (the server going away, say). */
  readonly afterwards?: () => void
}

const sslRequest = 80877103
const gssRequest = 80877104

const cString = (buffer: Buffer, offset: number): [string, number] => {
  const end = buffer.indexOf(0, offset)
  return [buffer.toString("utf8", offset, end), end + 1]
}

class Connection {
  private pending: Buffer = Buffer.alloc(0)
  private startup = true
  private readonly statements = new Map<string, string>()
  private bound = ""
  /** Set once this connection matched an armed cut that delivers: it forwards until the next Sync. */
  private cutAtSync: Cut | undefined
  closed = false
  /** What a partition holds back, per direction; undefined while that direction flows. */
  private heldToServer: Array<Buffer> | undefined
  private heldToClient: Array<Buffer> | undefined
  /** Bytes of the server's answers still let through before the partition holds them. */
  private answerBytesLetThrough = 0
  /** A side closed during a partition: the other hears of it when the partition heals. */
  private closedUnheard = false
  /** Partitioned for good. */
  stranded = false
  clientGone = false

  constructor(
    private readonly client: Net.Socket,
    private readonly server: Net.Socket,
    private readonly takeCut: (sql: string) => Cut | undefined,
    private readonly onCut: (cut: Cut) => void,
    private readonly onExecute: (sql: string) => void,
  ) {
    client.on("data", (chunk) => this.fromClient(chunk))
    client.once("close", () => {
      this.clientGone = true
    })
    server.on("data", (chunk: Buffer) => {
      if (this.closed) return
      if (this.heldToClient === undefined) return client.write(chunk)
      const through = Math.min(this.answerBytesLetThrough, chunk.length)
      this.answerBytesLetThrough -= through
      if (through > 0) client.write(chunk.subarray(0, through))
      if (through < chunk.length) this.heldToClient.push(chunk.subarray(through))
    })
    for (const socket of [client, server]) {
      socket.on("error", () => this.lost())
      socket.on("close", () => this.lost())
    }
  }

  private lost() {
    // With only the answers blocked, the client's close still reaches the server.
    if (this.heldToServer !== undefined) {
      this.closedUnheard = true
      return
    }
    this.close()
  }

  close() {
    if (this.closed) return
    this.closed = true
    this.client.destroy()
    this.server.destroy()
  }

  block(blocked: Blocked) {
    if (this.closed) return
    if (this.heldToClient === undefined && blocked === "answers-after-a-byte") this.answerBytesLetThrough = 1
    this.heldToClient ??= []
    if (blocked === "both") this.heldToServer ??= []
  }

  /** Delivers what the partition held, in order, then flows again (or closes, if a side closed meanwhile). */
  heal() {
    if (this.stranded || this.closed) return
    const toServer = this.heldToServer ?? []
    const toClient = this.heldToClient ?? []
    this.heldToServer = undefined
    this.heldToClient = undefined
    this.answerBytesLetThrough = 0
    if (this.closedUnheard) return this.close()
    for (const chunk of toServer) this.server.write(chunk)
    for (const chunk of toClient) this.client.write(chunk)
  }

  private toServer(bytes: Buffer) {
    if (this.heldToServer !== undefined) this.heldToServer.push(Buffer.from(bytes))
    else this.server.write(bytes)
  }

  /** Lets what was forwarded reach the server, then ends both sides without a word to the client. */
  private cutAfterDelivery(cut: Cut) {
    this.closed = true
    this.client.destroy()
    this.server.end()
    this.onCut(cut)
  }

  private fromClient(chunk: Buffer) {
    if (this.closed) return
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    this.server.cork()
    try {
      while (!this.closed) {
        const message = this.nextMessage()
        if (message === undefined) break
        if (!this.forward(message)) break
      }
    } finally {
      this.server.uncork()
    }
  }

  private nextMessage(): { readonly type: string; readonly bytes: Buffer } | undefined {
    if (this.startup) {
      if (this.pending.length < 8) return undefined
      const length = this.pending.readInt32BE(0)
      if (this.pending.length < length) return undefined
      const code = this.pending.readInt32BE(4)
      if (code !== sslRequest && code !== gssRequest) this.startup = false
      return this.take("", length)
    }
    if (this.pending.length < 5) return undefined
    const length = this.pending.readInt32BE(1) + 1
    if (this.pending.length < length) return undefined
    return this.take(String.fromCharCode(this.pending[0]!), length)
  }

  private take(type: string, length: number) {
    const bytes = this.pending.subarray(0, length)
    this.pending = this.pending.subarray(length)
    return { type, bytes }
  }

  /** Forwards one message, or cuts; false once the connection is cut. */
  private forward({ type, bytes }: { readonly type: string; readonly bytes: Buffer }): boolean {
    if (type === "P") {
      const [name, next] = cString(bytes, 5)
      this.statements.set(name, cString(bytes, next)[0])
    } else if (type === "B") {
      const [, next] = cString(bytes, 5)
      this.bound = this.statements.get(cString(bytes, next)[0]) ?? ""
    } else if (type === "E" || type === "Q") {
      this.onExecute(type === "Q" ? cString(bytes, 5)[0] : this.bound)
    }
    if ((type === "E" || type === "Q") && this.cutAtSync === undefined) {
      const cut = this.takeCut(type === "Q" ? cString(bytes, 5)[0] : this.bound)
      if (cut !== undefined && !cut.deliver) {
        this.close()
        this.onCut(cut)
        return false
      }
      this.cutAtSync = cut
    }
    this.toServer(bytes)
    // A simple query runs at once; an extended one is finished by its Sync.
    if (this.cutAtSync !== undefined && (type === "S" || type === "Q")) {
      this.cutAfterDelivery(this.cutAtSync)
      return false
    }
    return true
  }
}

export interface FaultProxy {
  readonly port: number
  /** Arms a cut for the next statement that `match`es, on whichever connection runs it first. */
  readonly arm: (cut: Cut) => void
  /** Cuts done so far: a test of a fault proves the fault happened. */
  readonly cuts: () => number
  /** Drops every open connection at once, as a network failure or a server crash does. */
  readonly cutAll: () => void
  /** Refuses new connections for `ms`, as a restarting server does. */
  readonly refuseFor: (ms: number) => void
  /** Partitions every connection, open and new, closing nothing, until `heal`. */
  readonly blackhole: (blocked: Blocked) => void
  readonly heal: () => void
  /** Partitions the open connections for good (they stay silent, open); new ones pass. */
  readonly strand: () => void
  /** Stranded connections, and how many of those their client has given up on (closed its side). */
  readonly stranded: () => { readonly caught: number; readonly dropped: number }
  /** The text of every statement run through the proxy since the last call, in order; then forgets them. */
  readonly executed: () => ReadonlyArray<string>
  readonly close: () => Promise<void>
}

export const start = (target: { readonly host: string; readonly port: number }) =>
  new Promise<FaultProxy>((resolve, reject) => {
    const connections = new Set<Connection>()
    const armed: Array<Cut> = []
    let cuts = 0
    let executed: Array<string> = []
    let refusingUntil = 0
    let partition: Blocked | undefined
    const takeCut = (sql: string) => {
      const index = armed.findIndex((cut) => cut.match(sql))
      return index < 0 ? undefined : armed.splice(index, 1)[0]
    }
    const server = Net.createServer((client) => {
      if (Date.now() < refusingUntil) return client.destroy()
      const upstream = Net.connect(target.port, target.host)
      const connection = new Connection(
        client,
        upstream,
        takeCut,
        (cut) => {
          cuts++
          cut.afterwards?.()
        },
        (sql) => executed.push(sql),
      )
      if (partition !== undefined) connection.block(partition)
      connections.add(connection)
      // A stranded connection stays (its server side open) until the proxy closes.
      client.on("close", () => {
        if (!connection.stranded) connections.delete(connection)
      })
    })
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as Net.AddressInfo).port,
        arm: (cut) => armed.push(cut),
        cuts: () => cuts,
        executed: () => {
          const taken = executed
          executed = []
          return taken
        },
        cutAll: () => {
          for (const connection of connections) connection.close()
          cuts += connections.size
        },
        refuseFor: (ms) => {
          refusingUntil = Date.now() + ms
        },
        blackhole: (blocked) => {
          partition = blocked
          for (const connection of connections) connection.block(blocked)
        },
        heal: () => {
          partition = undefined
          for (const connection of connections) connection.heal()
        },
        strand: () => {
          for (const connection of connections) {
            connection.block("both")
            connection.stranded = true
          }
        },
        stranded: () => {
          const caught = [...connections].filter((c) => c.stranded)
          return { caught: caught.length, dropped: caught.filter((c) => c.clientGone).length }
        },
        close: () =>
          new Promise<void>((done) => {
            for (const connection of connections) connection.close()
            server.close(() => done())
          }),
      }),
    )
  })
