/** A schema keyword or value the grammar cannot enforce; `path` locates it inside the schema. */
export class SchemaError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}
