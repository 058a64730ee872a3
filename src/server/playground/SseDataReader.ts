/**
 * The `data` of each event of a `text/event-stream` body, fed its text as it arrives, in pieces cut anywhere.
 * The page's own, not eventsource-parser (which the bench uses): the page loads plain ES modules from the server,
 * with no bundler to bring a package in. It keeps the WHATWG event-stream rules a reader of data needs: lines
 * end in CR, LF or CRLF (a CRLF may be cut between two pieces), `:` starts a comment, several `data` lines make
 * one event joined by LF, a blank line ends the event, and other fields (`event`, `id`, `retry`) are ignored.
 */
export class SseDataReader {
  /** The text after the last line end. */
  private partial = "";
  /** The current event's data lines. */
  private data: string[] = [];
  /** The last piece ended in CR: an LF opening the next one is the same line end. */
  private afterCarriageReturn = false;

  /** The data of the events `text` completes, in order. */
  push(text: string): string[] {
    const events: string[] = [];
    let input = text;
    if (this.afterCarriageReturn && input.startsWith("\n")) input = input.slice(1);
    if (input !== "") this.afterCarriageReturn = false;
    const buffer = this.partial + input;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const char = buffer[i];
      if (char !== "\n" && char !== "\r") continue;
      this.line(buffer.slice(start, i), events);
      if (char === "\r") {
        if (i + 1 === buffer.length) this.afterCarriageReturn = true;
        else if (buffer[i + 1] === "\n") i++;
      }
      start = i + 1;
    }
    this.partial = buffer.slice(start);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === "") {
      if (this.data.length > 0) events.push(this.data.join("\n"));
      this.data = [];
      return;
    }
    const colon = line.indexOf(":");
    if (colon === 0) return;
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(line[colon + 1] === " " ? colon + 2 : colon + 1);
    if (field === "data") this.data.push(value);
  }
}
