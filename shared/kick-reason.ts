/**
 * A kick's reason as members are told it in `left.reason` (`kicked by <op>[: why]`), and the operator's
 * own words read back out of it (IRC's KICK carries those alone).
 */

export function kickReason(by: string, why: string | undefined): string {
  return `kicked by ${by}${why ? `: ${why}` : ''}`;
}

/** The operator's words in a kick's reason, or null when it gave none (or the reason is not a kick's). */
export function kickWords(reason: string | undefined, by: string): string | null {
  const head = kickReason(by, undefined);
  if (reason === undefined || !reason.startsWith(head)) return null;
  const rest = reason.slice(head.length);
  return rest.startsWith(': ') && rest.length > 2 ? rest.slice(2) : null;
}
