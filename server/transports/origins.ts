/**
 * The Origin allow-list for browser WebSocket clients. A page on another site can open a WebSocket to any
 * server its visitor can reach; browsers say which site in the Origin header, which a page cannot forge.
 * Programs (the terminal client, bots) send no Origin and are not affected.
 */

/** Parses a comma-separated list of origins (`https://chat.example.com`); '' is no list: any origin. */
export function parseOrigins(raw: string): { ok: true; origins: Set<string> | null } | { ok: false; error: string } {
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) return { ok: true, origins: null };
  const origins = new Set<string>();
  for (const entry of entries) {
    const origin = originOf(entry);
    if (!origin || !/^[a-z][a-z0-9+.-]*:\/\/[^/]+\/?$/i.test(entry)) {
      return { ok: false, error: `'${entry}' is not an origin: scheme://host[:port] with no path, such as https://chat.example.com` };
    }
    origins.add(origin);
  }
  return { ok: true, origins };
}

/** Whether a request with this Origin header (absent for programs) may upgrade. */
export function originAllowed(allowed: ReadonlySet<string> | null, header: string | undefined): boolean {
  if (allowed === null || header === undefined) return true;
  const origin = originOf(header);
  return origin !== null && allowed.has(origin);
}

/**
 * The origin as browsers serialize it (lower-case host, no default port), or null for "null" and garbage.
 * Schemes URL gives no origin (chrome-extension://id) are compared as written, in lower case.
 */
function originOf(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.origin !== 'null') return url.origin;
  const bare = text.replace(/\/$/, '');
  return /^[a-z][a-z0-9+.-]*:\/\/[^/]+$/i.test(bare) && !bare.startsWith('file:') ? bare.toLowerCase() : null;
}
