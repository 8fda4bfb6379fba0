/**
 * A line of JSON as programs print it, which is not always JSON: Python's
 * `json.dumps` writes `NaN`, `Infinity` and `-Infinity`; Python's `print` of
 * a dict writes `{'cpu': 1, 'ok': True, 'x': None, 'y': nan}`; JavaScript's
 * `console.log` writes `{ cpu: 1, name: 'a', z: undefined }`. A line is
 * read by `JSON.parse` first; when that fails, by a small parser that takes
 * those too: strings in either quote (with Python's escapes), bare keys,
 * `True`/`False`/`None`/`undefined`, and the words numbers.ts reads as a gap
 * (`nan`: NaN) or as infinite (`inf`, `-Infinity`). Nothing else is guessed.
 *
 * @module
 */

import { isGap, parseInfinity, scanned, scanNumber } from "./numbers.ts";

/** Arrays and objects nested deeper than this make the line unreadable (no deep recursion). */
const MAX_NESTING = 256;
/** A bare key, as JavaScript prints one: `{ cpu: 1 }`. */
const BARE_KEY = /[A-Za-z_$][\w$]*/y;
const WORD = /[-+]?[A-Za-z]+/y;
const ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/** `line` parsed as JSON or as Python or JavaScript print it; undefined when it is none of them. */
export function parseJsonText(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    // Not JSON: perhaps one of the near misses above.
  }
  const parser = new Parser(line);
  try {
    const value = parser.value(0);
    parser.space();
    return parser.at === line.length ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Returns true when `value` is an object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Returns true when `line` is meant as JSON: an object or array `parseJsonText`
 * reads, or a line starting `{"`, `{'` or `{}`, which is an object even when cut
 * short or misspelt (`{"a"=>1}`), so no reader takes `{"a"` for a name.
 */
export function isJsonLine(line: string): boolean {
  let at = 0;
  while (at < line.length && (line.charCodeAt(at) === 32 || line.charCodeAt(at) === 9)) at++;
  const first = line.charCodeAt(at);
  if (first !== 123 && first !== 91) return false;
  if (first === 123 && /^\{\s*["'}]/.test(line.slice(at, at + 64))) return true;
  // Only a line that ends as it began is parsed: `[INFO] cpu=5` costs no failed parse.
  let end = line.length - 1;
  while (end > at && /\s/.test(line[end] as string)) end--;
  if (line.charCodeAt(end) !== (first === 123 ? 125 : 93)) return false;
  const value = parseJsonText(line);
  return first === 123 ? isPlainObject(value) : Array.isArray(value);
}

class Parser {
  at = 0;
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  space(): void {
    const text = this.#text;
    while (this.at < text.length && /\s/.test(text[this.at] as string)) this.at++;
  }

  value(depth: number): unknown {
    if (depth > MAX_NESTING) throw new SyntaxError("nested too deep");
    this.space();
    const char = this.#text[this.at];
    if (char === "{") return this.#object(depth);
    if (char === "[") return this.#array(depth);
    if (char === '"' || char === "'") return this.#string();
    const number = scanNumber(this.#text, this.at, this.#text.length);
    if (scanned.end > this.at) {
      this.at = scanned.end;
      return number;
    }
    return this.#word();
  }

  #object(depth: number): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    this.at++;
    if (this.#close("}")) return object;
    do {
      this.space();
      const key = this.#key();
      this.space();
      this.#expect(":");
      object[key] = this.value(depth + 1);
    } while (this.#next("}"));
    return object;
  }

  #array(depth: number): unknown[] {
    const array: unknown[] = [];
    this.at++;
    if (this.#close("]")) return array;
    do array.push(this.value(depth + 1)); while (this.#next("]"));
    return array;
  }

  /** After a member: true at a comma (another follows), false at `close`; else throws. */
  #next(close: string): boolean {
    this.space();
    const char = this.#text[this.at++];
    if (char === ",") return true;
    if (char === close) return false;
    throw new SyntaxError(`expected , or ${close}`);
  }

  #close(close: string): boolean {
    this.space();
    if (this.#text[this.at] !== close) return false;
    this.at++;
    return true;
  }

  #expect(char: string): void {
    if (this.#text[this.at++] !== char) throw new SyntaxError(`expected ${char}`);
  }

  #key(): string {
    const char = this.#text[this.at];
    if (char === '"' || char === "'") return this.#string();
    BARE_KEY.lastIndex = this.at;
    const match = BARE_KEY.exec(this.#text);
    if (!match) throw new SyntaxError("expected a key");
    this.at = BARE_KEY.lastIndex;
    return match[0];
  }

  /** A string in `"` or `'`, with JSON's escapes and Python's `\'`, `\xHH`, `\UHHHHHHHH`. */
  #string(): string {
    const text = this.#text;
    const quote = text[this.at++];
    let result = "";
    let start = this.at;
    while (this.at < text.length) {
      const char = text[this.at];
      if (char === quote) {
        result += text.slice(start, this.at++);
        return result;
      }
      if (char !== "\\") {
        this.at++;
        continue;
      }
      result += text.slice(start, this.at);
      const escape = text[this.at + 1] ?? "";
      const digits = escape === "x" ? 2 : escape === "u" ? 4 : escape === "U" ? 8 : 0;
      if (digits > 0) {
        const hex = text.slice(this.at + 2, this.at + 2 + digits);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) {
          throw new SyntaxError("bad escape");
        }
        result += String.fromCodePoint(parseInt(hex, 16));
        this.at += 2 + digits;
      } else {
        result += ESCAPES[escape] ?? escape;
        this.at += 2;
      }
      start = this.at;
    }
    throw new SyntaxError("unterminated string");
  }

  #word(): unknown {
    WORD.lastIndex = this.at;
    const match = WORD.exec(this.#text);
    if (!match) throw new SyntaxError("expected a value");
    this.at = WORD.lastIndex;
    const word = match[0];
    if (word === "true" || word === "True") return true;
    if (word === "false" || word === "False") return false;
    if (word === "null" || word === "None" || word === "undefined") return null;
    const infinite = parseInfinity(word);
    if (!Number.isNaN(infinite)) return infinite;
    if (isGap(word)) return NaN;
    throw new SyntaxError(`unknown word ${word}`);
  }
}
