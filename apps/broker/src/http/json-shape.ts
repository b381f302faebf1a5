export interface JsonLimits {
  /** Objects and arrays nested in one another. */
  readonly maxDepth: number;
  /** Members of one object or elements of one array. */
  readonly maxMembers: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Index of the quote closing the string opened at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return -1;
}

/** The key a string literal stands for (`"a\u0062"` is `ab`), or undefined if it is malformed. */
function keyOf(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}

/**
 * What makes a JSON text too deep, too wide or ambiguous (a repeated key, of which JSON.parse
 * would silently keep the last), found in one loop without recursion, before anything parses
 * or walks the text recursively (JSON.parse, the prototype-poisoning scan, class-transformer):
 * their cost and stack depth are then bounded by the limits. Syntax is not checked here:
 * malformed text that passes is refused by JSON.parse next.
 */
export function jsonShapeProblem(text: string, limits: JsonLimits): string | undefined {
  const open: { readonly keys?: Set<string>; commas: number }[] = [];
  let expectingKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      if (end < 0) return undefined;
      const keys = open.at(-1)?.keys;
      if (expectingKey && keys) {
        const key = keyOf(text.slice(i, end + 1));
        if (key === undefined) return undefined;
        if (keys.has(key)) return 'a JSON object must not repeat a key';
        keys.add(key);
      }
      expectingKey = false;
      i = end;
    } else if (c === '{' || c === '[') {
      if (open.length >= limits.maxDepth) return `JSON nested deeper than ${limits.maxDepth} levels`;
      open.push({ keys: c === '{' ? new Set() : undefined, commas: 0 });
      expectingKey = c === '{';
    } else if (c === '}' || c === ']') {
      open.pop();
      expectingKey = false;
    } else if (c === ',') {
      const top = open.at(-1);
      if (top && ++top.commas >= limits.maxMembers) {
        return `a JSON object or array must have at most ${limits.maxMembers} members`;
      }
      expectingKey = top?.keys !== undefined;
    }
  }
  return undefined;
}
