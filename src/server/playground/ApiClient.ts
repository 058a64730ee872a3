/** The key's place: this tab's session storage, gone when the tab closes; never the page, never local storage. */
const KEY_ITEM = "hermes-playground-api-key";

/**
 * The page's requests to its own server, with the API key when one was given: a 401 forgets the key, asks for one
 * (`askKey`, with why) and sends the request again with it.
 */
export class ApiClient {
  constructor(private readonly askKey: (reason: string) => Promise<string>) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    for (;;) {
      const key = sessionStorage.getItem(KEY_ITEM);
      const headers = new Headers(init.headers);
      if (key !== null) headers.set("Authorization", `Bearer ${key}`);
      const response = await fetch(path, { ...init, headers });
      if (response.status !== 401) return response;
      await response.body?.cancel();
      sessionStorage.removeItem(KEY_ITEM);
      const given = await this.askKey(key === null ? "This server needs an API key." : "The server refused that key: try another.");
      sessionStorage.setItem(KEY_ITEM, given);
    }
  }
}
