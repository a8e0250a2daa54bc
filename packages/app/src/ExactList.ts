/**
 * The list, when it names every member of `T` and nothing else: for a list of the domain's choices
 * restated where importing the domain's value would cost too much (the CLI's start, the console's
 * bundle); the type holds it to the domain's members.
 */
export const exactly =
  <T extends string>() =>
  <const L extends ReadonlyArray<T>>(list: L & ([T] extends [L[number]] ? unknown : never)): L =>
    list
