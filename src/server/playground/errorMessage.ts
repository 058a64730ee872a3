/** What an error response says: the API's `error.message`, else its status. */
export async function errorMessage(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === "string") return message;
  } catch {
    // not the API's JSON: its status says enough
  }
  return `${response.status} ${response.statusText}`.trim();
}
