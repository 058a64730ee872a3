import type { AccessRecord } from "./AccessRecord.js";
import type { KeyLimiter } from "./KeyLimiter.js";

/** What the app's middleware leaves for the handlers: the request's log record and the key it came with. */
export type Env = { Variables: { record: AccessRecord; key: KeyLimiter | undefined } };
