import fc from "fast-check";
import { rawJson, type RawJson } from "./rawJson.js";

/** Numbers at and past every bound a field could have: huge, negative, fractional, the edges of int32 and doubles. */
export const hostileNumber: fc.Arbitrary<RawJson> = fc.oneof(
  fc.constantFrom("1000000000", "1e999", "-1e999", "1e308", "9007199254740993", "2147483648", "-2147483649", "-1", "0", "-0", "0.5", "1.5", "-0.5", "1e-300", "129", "21", "6", "4097", "65536"),
  fc.integer().map(rawJson),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(rawJson),
);
