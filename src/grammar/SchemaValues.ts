import { SCHEMA_LIMITS } from "./schemaLimits.js";
import { SchemaError } from "./SchemaError.js";
import { type Schema, schemaNode } from "./schemaNode.js";

/** Example values of the string formats the grammar supports: a prefix of one is completed in its shape. */
export const FORMAT_EXAMPLES: Record<string, string> = {
  date: "2000-01-01",
  time: "00:00:00Z",
  "date-time": "2000-01-01T00:00:00Z",
  uuid: "00000000-0000-0000-0000-000000000000",
};

export function formatOf(schema: Record<string, unknown>): string | undefined {
  return typeof schema.format === "string" && Object.hasOwn(FORMAT_EXAMPLES, schema.format) ? schema.format : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A schema's alternatives (each of one type, or a const) and the smallest value of each subschema, both computed
 * once per subschema: what the closing appends does not depend on the text.
 */
export class SchemaValues {
  private readonly flattened = new WeakMap<object, Schema[]>();
  /** Smallest values by subschema and depth (a cut-off below a depth can differ from one below another). */
  private readonly smallestByDepth = new WeakMap<object, Map<number, string | SchemaError>>();

  constructor(readonly root: Schema) {}

  /**
   * The alternatives of `schema` once `$ref`, `anyOf` / `oneOf`, `enum`, `const` and type lists are resolved (as
   * `schemaNode` reads them, like the grammar): each subschema's list is built once and holds each alternative
   * once, so shared references cannot multiply them. An alternative has one `type`, a `const`, or neither (any value).
   */
  alternatives(schema: Schema, depth = 0): Schema[] {
    if (typeof schema === "boolean") return schema ? [true] : [];
    const known = this.flattened.get(schema);
    if (known) return known;
    if (depth > SCHEMA_LIMITS.depth) throw new SchemaError("", "the schema's references or alternatives nest too deeply");
    const node = schemaNode(schema, this.root, "");
    let list: Schema[];
    if (node.kind === "ref") list = this.alternatives(node.target, depth + 1);
    else if (node.kind === "values") list = node.values.map((value) => ({ const: value }));
    else if (node.kind === "alternatives") list = [...new Set(node.options.flatMap((option) => this.alternatives(option, depth + 1)))];
    else list = node.types === undefined ? [schema] : node.types.map((type) => (schema.type === type ? schema : { ...schema, type }));
    this.flattened.set(schema, list);
    return list;
  }

  /** The JSON type an alternative describes (none: any value). */
  typeOf(schema: Schema): string | undefined {
    if (typeof schema === "boolean") return undefined;
    if ("const" in schema) return "const";
    return typeof schema.type === "string" ? schema.type : undefined;
  }

  /** Characters a string of `length` characters still needs for its `minLength`. */
  padding(schema: Record<string, unknown>, length: number): string {
    const min = typeof schema.minLength === "number" ? schema.minLength : 0;
    return "a".repeat(Math.max(0, min - length));
  }

  /** The shortest JSON text `schema` accepts (`SchemaError` when it has none of finite, bounded size). */
  smallest(schema: Schema, depth: number): string {
    if (typeof schema === "boolean") {
      if (schema) return "0";
      throw new SchemaError("", "the schema 'false' accepts no value");
    }
    let byDepth = this.smallestByDepth.get(schema);
    if (!byDepth) this.smallestByDepth.set(schema, (byDepth = new Map()));
    let result = byDepth.get(depth);
    if (result === undefined) {
      result = this.computeSmallest(schema, depth);
      byDepth.set(depth, result);
    }
    if (result instanceof SchemaError) throw result;
    return result;
  }

  private computeSmallest(schema: Schema, depth: number): string | SchemaError {
    if (depth > SCHEMA_LIMITS.depth) return new SchemaError("", "the schema nests too deeply, or requires itself without end, to have a value");
    let best: string | undefined;
    let failure: SchemaError | undefined;
    try {
      for (const alternative of this.alternatives(schema)) {
        try {
          const candidate = this.smallestOf(alternative, depth);
          if (best === undefined || candidate.length < best.length) best = candidate;
        } catch (error) {
          if (!(error instanceof SchemaError)) throw error;
          failure = error;
        }
      }
    } catch (error) {
      if (!(error instanceof SchemaError)) throw error;
      return error;
    }
    return best ?? failure ?? new SchemaError("", "the schema accepts no value");
  }

  private smallestOf(schema: Schema, depth: number): string {
    const type = this.typeOf(schema);
    if (type === "const") return JSON.stringify((schema as { const: unknown }).const);
    const object = schema as Record<string, unknown>;
    switch (type) {
      case undefined:
        return "0";
      case "object": {
        const properties = isObject(object.properties) ? object.properties : {};
        const required = Array.isArray(object.required) ? (object.required as string[]) : [];
        let length = 2;
        const entries = Object.keys(properties)
          .filter((name) => required.includes(name))
          .map((name) => {
            const entry = `${JSON.stringify(name)}:${this.smallest(properties[name] as Schema, depth + 1)}`;
            length += entry.length + 1;
            this.bounded(length);
            return entry;
          });
        return `{${entries.join(",")}}`;
      }
      case "array": {
        const tuple = Array.isArray(object.prefixItems) ? (object.prefixItems as Schema[]) : undefined;
        const min = tuple ? tuple.length : typeof object.minItems === "number" ? object.minItems : 0;
        const items: string[] = [];
        let length = 2;
        for (let k = 0; k < min; k++) {
          const item = this.smallest(tuple ? tuple[k]! : ((object.items ?? true) as Schema), depth + 1);
          // the same item schema min times: its length says at once whether they fit
          this.bounded(tuple ? (length += item.length + 1) : length + min * (item.length + 1));
          items.push(item);
        }
        return `[${items.join(",")}]`;
      }
      case "string": {
        const format = formatOf(object);
        this.bounded(typeof object.minLength === "number" ? object.minLength : 0);
        return `"${format !== undefined ? FORMAT_EXAMPLES[format] : this.padding(object, 0)}"`;
      }
      case "number":
      case "integer":
        return "0";
      case "boolean":
        return "true";
      default:
        return "null";
    }
  }

  private bounded(length: number): void {
    if (length > SCHEMA_LIMITS.smallestValueChars) {
      throw new SchemaError("", `the smallest value the schema accepts is longer than ${SCHEMA_LIMITS.smallestValueChars} characters`);
    }
  }
}
