/**
 * Bounds on the shape of a JSON body, checked on the text before it is parsed: valid JSON that is
 * pathological (deep nesting, huge arrays, objects with very many keys) is refused with a 400 instead of
 * costing stack depth or CPU in parsing, validation or logging. No operation of ours takes anything near
 * these limits.
 */
export interface JsonShapeLimits {
  /** Deepest nesting of arrays and objects. Default: 32. */
  maxDepth?: number;
  /** Most elements in one array. Default: 1000. */
  maxArrayLength?: number;
  /** Most keys in one object. Default: 200. */
  maxKeys?: number;
}

/** Why `text` exceeds the limits, or undefined when it does not. One pass, no recursion. */
export function jsonShapeProblem(text: string, limits: JsonShapeLimits = {}): string | undefined {
  const maxDepth = limits.maxDepth ?? 32;
  const maxArrayLength = limits.maxArrayLength ?? 1000;
  const maxKeys = limits.maxKeys ?? 200;
  // Per open container: is it an array, how many elements so far, and has it seen a value yet.
  const kinds: boolean[] = [];
  const counts: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
      continue;
    }
    const top = kinds.length - 1;
    if (char === 0x22) {
      inString = true;
      if (top >= 0 && counts[top] === 0) counts[top] = 1;
    } else if (char === 0x5b || char === 0x7b) {
      if (top >= 0 && counts[top] === 0) counts[top] = 1;
      kinds.push(char === 0x5b);
      counts.push(0);
      if (kinds.length > maxDepth) return `request body is nested deeper than ${maxDepth} levels`;
    } else if (char === 0x5d || char === 0x7d) {
      kinds.pop();
      counts.pop();
    } else if (char === 0x2c && top >= 0) {
      counts[top] = (counts[top] ?? 0) + 1;
      if (kinds[top] && counts[top]! > maxArrayLength) {
        return `request body has an array of more than ${maxArrayLength} elements`;
      }
      if (!kinds[top] && counts[top]! > maxKeys) return `request body has an object of more than ${maxKeys} keys`;
    } else if (top >= 0 && counts[top] === 0 && char > 0x20) {
      counts[top] = 1; // a number, true, false or null as the first element
    }
  }
  return undefined;
}
