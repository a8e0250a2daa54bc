import * as Net from "node:net"
import { afterEach, describe, expect, test } from "vitest"
import { watched } from "../src/PgDeadline.ts"

/**
 * The watch on a pool's socket, against a server of the test's own that answers as PostgreSQL frames
 * its answers (a type byte, a length, a body) and stops where a test says: a connection whose answer
 * does not come whole within the deadline is destroyed, one that has its answer is left alone.
 */

const timeoutMs = 300
const readyForQuery = Buffer.from([0x5a, 0, 0, 0, 5, 0x49])
/** A DataRow-like message of `bodyBytes` bytes after its header. */
const message = (bodyBytes: number) => {
  const bytes = Buffer.alloc(5 + bodyBytes, 0x61)
  bytes[0] = 0x44
  bytes.writeInt32BE(4 + bodyBytes, 1)
  return bytes
}
const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])

const closers: Array<() => void> = []
afterEach(() => {
  for (const close of closers.splice(0)) close()
})

/** A server that answers each chunk it reads with the next of `answers` (bytes, or a list written apart). */
const server = (answers: ReadonlyArray<ReadonlyArray<Buffer>>) =>
  new Promise<number>((resolve) => {
    const listener = Net.createServer((socket) => {
      let next = 0
      socket.on("data", () => {
        for (const [index, part] of (answers[next++] ?? []).entries()) setTimeout(() => socket.write(part), index * 50)
      })
      socket.on("error", () => {})
      closers.push(() => socket.destroy())
    })
    listener.listen(0, "127.0.0.1", () => resolve((listener.address() as Net.AddressInfo).port))
    closers.push(() => listener.close())
  })

/** Connects a watched socket that reads as a driver does, and resolves how it ended after `ms`. */
const watch = async (port: number, writes: ReadonlyArray<Buffer>, ms: number) => {
  const socket = watched(Net.connect(port, "127.0.0.1"), timeoutMs)
  const received: Array<Buffer> = []
  socket.on("data", (chunk) => received.push(chunk))
  let error: Error | undefined
  socket.on("error", (cause) => {
    error = cause
  })
  closers.push(() => socket.destroy())
  await new Promise((resolve) => socket.once("connect", resolve))
  for (const bytes of writes) {
    socket.write(bytes)
    // An answer's parts come 50 ms apart: the next write waits for the whole of it, as a driver does.
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  await new Promise((resolve) => setTimeout(resolve, ms))
  return { destroyed: socket.destroyed, error: error?.message, received: Buffer.concat(received).length }
}

describe("PgDeadline.watched", () => {
  test("an answer that stops after its first byte is given up on, as one that never starts", async () => {
    const port = await server([[message(100).subarray(0, 1)]])
    const ended = await watch(port, [Buffer.from("Q")], 4 * timeoutMs)
    expect(ended).toMatchObject({ destroyed: true, received: 1 })
    expect(ended.error).toBe(`PostgreSQL did not answer within ${timeoutMs} ms`)
    const silent = await watch(await server([[]]), [Buffer.from("Q")], 4 * timeoutMs)
    expect(silent).toMatchObject({ destroyed: true, received: 0 })
  })

  test("an answer that stops in the middle of a message, or between messages, is given up on", async () => {
    const row = message(10_000)
    const midMessage = await watch(await server([[row.subarray(0, 4000)]]), [Buffer.from("Q")], 4 * timeoutMs)
    expect(midMessage).toMatchObject({ destroyed: true, received: 4000 })
    const betweenMessages = await watch(await server([[row, row]]), [Buffer.from("Q")], 4 * timeoutMs)
    expect(betweenMessages).toMatchObject({ destroyed: true, received: 2 * row.length })
  })

  test("a connection that had its whole answer, in parts and split anywhere, stays open while idle", async () => {
    const answer = Buffer.concat([message(3), message(7_000), readyForQuery])
    const parts = [answer.subarray(0, 3), answer.subarray(3, 9), answer.subarray(9, 7_010), answer.subarray(7_010)]
    const ended = await watch(
      await server([parts, [readyForQuery]]),
      [Buffer.from("Q"), Buffer.from("Q")],
      4 * timeoutMs,
    )
    expect(ended).toMatchObject({ destroyed: false, received: answer.length + readyForQuery.length })
  })

  test("after SSLRequest: a refusal ('N') is not read as a message; an agreement ('S') ends the watch", async () => {
    const plain = await watch(
      await server([[Buffer.from("N")], [readyForQuery]]),
      [sslRequest, Buffer.from("startup")],
      4 * timeoutMs,
    )
    expect(plain).toMatchObject({ destroyed: false, received: 1 + readyForQuery.length })
    // TLS's bytes cannot be framed: a silence after the agreement is keepalive's to find.
    const tls = await watch(await server([[Buffer.from("S")], []]), [sslRequest, Buffer.from("hello")], 4 * timeoutMs)
    expect(tls).toMatchObject({ destroyed: false, received: 1 })
  })
})
