// Checks an envelope's plaintext against the tender's JSON Schema (the one published at
// /api/v1/bids/plaintext-schema?tender=<id>) before it is sealed, so that nothing the opening
// would refuse is ever sealed. It knows the keywords that schema uses: type, const, enum,
// required, properties, additionalProperties, items, minItems, maxItems, minLength, maxLength,
// minimum, pattern, allOf and if/then/else. Returns the problems as "path: what" lines.

const TYPES = {
  object: (v) => v !== null && typeof v === "object" && !Array.isArray(v),
  array: (v) => Array.isArray(v),
  string: (v) => typeof v === "string",
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === "number" && Number.isFinite(v),
  boolean: (v) => typeof v === "boolean",
};

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function length(text) {
  return Array.from(text).length; // code points, as JSON Schema counts them
}

export function problems(schema, value, path = "plaintext") {
  const found = [];
  const add = (what) => found.push(`${path}: ${what}`);
  if (schema.type && !TYPES[schema.type](value)) {
    add(`must be of type ${schema.type}`);
    return found;
  }
  if ("const" in schema && !same(schema.const, value)) add(`must be ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.some((option) => same(option, value))) add(`must be one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === "string") {
    if (schema.minLength !== undefined && length(value) < schema.minLength) add(`must be at least ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && length(value) > schema.maxLength) add(`must be at most ${schema.maxLength} characters`);
    if (schema.pattern && !new RegExp(schema.pattern, "u").test(value)) add("is not in the expected form");
  }
  if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) add(`must be at least ${schema.minimum}`);
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) add(`must hold at least ${schema.minItems} item(s)`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) add(`must hold at most ${schema.maxItems} item(s)`);
    if (schema.items) value.forEach((item, index) => found.push(...problems(schema.items, item, `${path}[${index}]`)));
  }
  if (TYPES.object(value)) {
    for (const key of schema.required || []) if (!(key in value)) add(`lacks "${key}"`);
    const properties = schema.properties || {};
    for (const [key, item] of Object.entries(value)) {
      if (key in properties) found.push(...problems(properties[key], item, `${path}.${key}`));
      else if (schema.additionalProperties === false) add(`must not hold "${key}"`);
    }
  }
  for (const part of schema.allOf || []) found.push(...problems(part, value, path));
  if (schema.if) {
    const branch = problems(schema.if, value, path).length === 0 ? schema.then : schema.else;
    if (branch) found.push(...problems(branch, value, path));
  }
  return found;
}
