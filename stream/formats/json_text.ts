/**
 * A line of JSON as programs print it, which is not always JSON: Python's
 * `json.dumps` writes `NaN`, `Infinity` and `-Infinity`; Python's `print` of
 * a dict writes `{'cpu': 1, 'ok': True, 'x': None, 'y': nan}`; JavaScript's
 * `console.log` writes `{ cpu: 1, name: 'a', z: undefined }`. A line is
 * read by `JSON.parse` first; when that fails, by a small parser that takes
 * those too: strings in either quote (with Python's escapes), bare keys,
 * `True`/`False`/`None`/`undefined`, and the words numbers.ts reads as a gap
 * (`nan`: NaN) or as infinite (`inf`, `-Infinity`). Also what they print of
 * values JSON has no words for: a call of one argument is that argument
 * (numpy 2's `np.float64(1.5)`; `float('nan')` and `Decimal('0.25')` are
 * numbers made of a string), any other call is no value
 * (`datetime.datetime(2026, 1, 2)`); so are Node's `[Object]`, `[Array]`,
 * `[Function: f]` and `[Circular *1]`, and a class's name before an object
 * (`Point { x: 1 }`) is dropped. Nothing else is guessed.
 *
 * @module
 */

import { isGap, parseInfinity, scanned, scanNumber } from "./numbers.ts";

/** Arrays and objects nested deeper than this make the line unreadable (no deep recursion). */
const MAX_NESTING = 256;
/** A bare key, as JavaScript prints one: `{ cpu: 1 }`. */
const BARE_KEY = /[A-Za-z_$][\w$]*/y;
/** A word, or a dotted name (`np.float64`, `np.True_`). */
const WORD = /[-+]?[A-Za-z_][\w.]*/y;
/** What Node's `console.log` prints for a value it does not show. */
const PLACEHOLDER = new RegExp(
  String.raw`\[(?:Object|Array|Getter|Setter|Getter/Setter|Circular \*\d+|class [^\]]*|` +
    String.raw`(?:Async)?(?:Generator)?Function(?:: [^\]]*| \(anonymous\)))\]`,
  "y",
);
/** Calls that make a number of a string: `float('nan')`, `Decimal('0.25')`. */
const NUMBER_CALL = /(?:^|\.)(?:float|int|Decimal)$/;
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
    if (char === "[") {
      PLACEHOLDER.lastIndex = this.at;
      if (!PLACEHOLDER.test(this.#text)) return this.#array(depth);
      this.at = PLACEHOLDER.lastIndex;
      return null;
    }
    if (char === '"' || char === "'") return this.#string();
    const number = scanNumber(this.#text, this.at, this.#text.length);
    if (scanned.end > this.at) {
      this.at = scanned.end;
      return number;
    }
    return this.#word(depth);
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

  #word(depth: number): unknown {
    WORD.lastIndex = this.at;
    const match = WORD.exec(this.#text);
    if (!match) throw new SyntaxError("expected a value");
    this.at = WORD.lastIndex;
    const word = match[0];
    const named = !/^[-+]/.test(word);
    if (named && this.#text[this.at] === "(") return this.#call(word, depth);
    const at = this.at;
    this.space();
    if (named && this.#text[this.at] === "{") return this.#object(depth);
    this.at = at;
    // numpy's own names: np.True_, np.nan.
    const bare = word.replace(/^(?:np|numpy)\./, "");
    if (bare === "true" || bare === "True" || bare === "True_") return true;
    if (bare === "false" || bare === "False" || bare === "False_") return false;
    if (bare === "null" || bare === "None" || bare === "undefined") return null;
    const infinite = parseInfinity(bare);
    if (!Number.isNaN(infinite)) return infinite;
    if (isGap(bare)) return NaN;
    throw new SyntaxError(`unknown word ${word}`);
  }

  /** `NAME(…)`: its one argument (a number made of a string for `float`), else no value. */
  #call(name: string, depth: number): unknown {
    const args: unknown[] = [];
    this.at++;
    if (!this.#close(")")) {
      do args.push(this.value(depth + 1)); while (this.#next(")"));
    }
    if (args.length !== 1) return null;
    const arg = args[0];
    return typeof arg === "string" && NUMBER_CALL.test(name) ? numberOf(arg) : arg;
  }
}

/** The number `text` is (`1.5`, `nan`, `-inf`, spaces around it), or no value. */
function numberOf(text: string): number | null {
  const trimmed = text.trim();
  const value = scanNumber(trimmed, 0, trimmed.length);
  if (trimmed !== "" && scanned.end === trimmed.length) return value;
  if (isGap(trimmed)) return NaN;
  const infinite = parseInfinity(trimmed);
  return Number.isNaN(infinite) ? null : infinite;
}
