import * as Option from "effect/Option"
import { InvalidRequest } from "./LedgerError.ts"

/** How a page cursor travels: its JSON as URL-safe base64 (base64url without padding), opaque to callers. */

// btoa takes Latin-1 only: encode the JSON's UTF-8 bytes.
export const toBase64Url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "")

export const fromBase64Url = (text: string): Option.Option<string> => {
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"))
    return Option.some(
      new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))),
    )
  } catch {
    return Option.none()
  }
}

export const notIssued = (cursor: string) =>
  new InvalidRequest({ message: `cursor ${JSON.stringify(cursor)} is not one Tally issued` })
