/** A place inside the tools given: which tool, and the path inside its `parameters` (`SchemaError`'s notation). */
export interface ToolSchemaLocation {
  tool: number;
  path: string;
}

/**
 * A tool's parameters schema the call grammar cannot enforce, located in the tools as the caller gave them (not in
 * the call schema they were merged into), so the caller names its own parameter without reading the merged layout.
 * `location` is undefined when the fault is in the call's own frame, in no one tool.
 */
export class ToolSchemaError extends Error {
  constructor(
    readonly location: ToolSchemaLocation | undefined,
    message: string,
  ) {
    super(message);
  }
}
