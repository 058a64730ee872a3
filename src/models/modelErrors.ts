/**
 * Why a model reference could not become a local file. Each message says what to do; the CLI prints it as it is.
 */
export class ModelRefError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The repo, or the file or quantization asked for in it, does not exist (the message lists what does). */
export class NoSuchModelFileError extends ModelRefError {}

/** The hub answered 401 or 403: a gated or private repo (the message names HF_TOKEN). */
export class ModelAccessError extends ModelRefError {
  constructor(repo: string, status: number, tokenSent: boolean) {
    super(
      // the hub answers 401 for a repo that does not exist too, so as not to tell private repos from missing ones
      `the hub refused access to ${repo} (HTTP ${status}): it is gated or private (or does not exist). ` +
        (tokenSent
          ? "The token in HF_TOKEN (or the Hugging Face token file) cannot read it: accept the repo's terms on its page with that account, or use a token that can."
          : "Set HF_TOKEN to a Hugging Face access token that can read it (https://huggingface.co/settings/tokens), after accepting the repo's terms on its page."),
    );
  }
}

/** The hub (or the URL's host) could not be reached at all: DNS, refused connection, no route. */
export class HubUnreachableError extends ModelRefError {}

/** Offline (or the hub unreachable) and the model is not in the cache. */
export class ModelNotCachedError extends ModelRefError {}

/** The download failed: an HTTP error, a cut that did not recover, a disk error. */
export class ModelDownloadError extends ModelRefError {}

/** The downloaded bytes are not what the hub stated (size or SHA-256); the file was deleted. */
export class ModelChecksumError extends ModelRefError {}
