// A browser stand-in for the real BetterAuth 1.4.18 client: createAuthClient
// with anonymousClient, whose fetches go through a cookie jar and carry the
// Origin header a browser would add, so cookies round-trip like in a tab.
import { createAuthClient } from 'better-auth/client';
import { anonymousClient } from 'better-auth/client/plugins';

/** CookieJar keeps cookies by name the way a browser tab would for one host. */
export class CookieJar {
  constructor() { this.cookies = new Map(); this.setCookies = []; }

  /** store applies a response's Set-Cookie headers (Max-Age=0 deletes). */
  store(headers) {
    for (const line of headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair, ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const maxAge = attrs.map((a) => a.trim()).find((a) => /^max-age=/i.test(a));
      if (maxAge && Number(maxAge.split('=')[1]) <= 0) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
  get(name) { return this.cookies.get(name); }
  has(name) { return this.cookies.has(name); }
  names() { return [...this.cookies.keys()].sort(); }
}

/**
 * browserFetch is fetch with a jar and the Origin header a browser sends
 * (on every request here; servers only look at it on POST).
 */
export function browserFetch(jar, origin) {
  return async (input, init = {}) => {
    const headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
    if (jar.cookies.size) headers.set('cookie', jar.header());
    if (origin) headers.set('origin', origin);
    const res = await fetch(input, { ...init, headers, redirect: 'manual' });
    jar.store(res.headers);
    return res;
  };
}

/** authClient is the product's client configuration against baseURL. */
export function authClient(baseURL, { jar = new CookieJar(), origin = baseURL } = {}) {
  const client = createAuthClient({
    baseURL,
    plugins: [anonymousClient()],
    fetchOptions: { customFetchImpl: browserFetch(jar, origin) },
  });
  return { client, jar };
}
