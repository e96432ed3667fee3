import { nanoid } from 'nanoid';

const ANY = /^/;

/**
 * `s` as one flat string. A string built piece by piece (nanoid builds its id a character at a time, a
 * template joins an address and a port) is a chain of pieces until something flattens it: nanoid's
 * costs ~270 bytes more than the flat string. For what the server keeps one of per connection or
 * message; a regular expression test flattens in place.
 */
export function flatString(s: string): string {
  ANY.test(s);
  return s;
}

/** A new random id (nanoid's alphabet and size) for connections and messages. */
export function newId(): string {
  return flatString(nanoid());
}
