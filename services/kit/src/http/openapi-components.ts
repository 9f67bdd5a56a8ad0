import { STATUS_CODES } from 'node:http';
import { z } from 'zod';

// Shapes an OpenAPI document states once, under `components`, and references with `$ref` wherever an
// operation uses them: the named zod schemas of a service, and the problem answer of each error status.
// Without them every operation repeats the same objects, and so does the client generated from it.

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

/** `#/components/<section>/<name>`. */
function ref(section: 'schemas' | 'responses', name: string): string {
  return `#/components/${section}/${name}`;
}

/**
 * Zod schemas published under a name: every place a document uses one of them (a body, an answer, a field of
 * either) becomes a `$ref` to `components.schemas.<name>`. The same zod object must be used, not a copy.
 *
 * A schema reads differently as input (defaults optional, extra fields allowed) and as output; where its two
 * forms differ, the input form is published as `<name>Input`. Only the forms referred to are published.
 */
export class SchemaComponents {
  readonly #names: Map<z.ZodType, string>;
  readonly #inputNames = new Map<string, string>();
  /** Component name → the schema's name and form, for each form a reference was made to. */
  readonly #used = new Map<string, [string, Io]>();

  constructor(named: Readonly<Record<string, z.ZodType>> = {}) {
    this.#names = new Map(Object.entries(named).map(([name, schema]) => [schema, name]));
    if (this.#names.size !== Object.keys(named).length) throw new Error('one zod schema is published under two names');
  }

  /** The JSON Schema of `type` as `io`: its named parts (and itself, when named) as references. */
  schemaOf(type: z.ZodType, io: Io = 'input'): Json {
    const name = this.#names.get(type);
    return name !== undefined ? { $ref: this.#reference(name, io) } : this.#convert(type, io, true);
  }

  /** The JSON Schema of `type` as `io`, its root inline even when named (e.g. a query's parameters). */
  inline(type: z.ZodType, io: Io = 'input'): Json {
    return this.#convert(type, io, true);
  }

  /**
   * `components.schemas`: each named schema in each form something referred to (by `schemaOf` or `inline`,
   * called before), so the document holds no definition nothing uses.
   */
  definitions(): Json {
    const definitions: Json = {};
    const types = new Map([...this.#names].map(([type, name]) => [name, type]));
    for (let size = -1; size !== this.#used.size;) {
      size = this.#used.size;
      for (const [component, [name, io]] of [...this.#used]) {
        definitions[component] ??= this.#convert(types.get(name)!, io, true);
      }
    }
    return Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** A reference to the form `io` of the schema named `name`, which the definitions then hold. */
  #reference(name: string, io: Io): string {
    const component = this.#componentName(name, io);
    this.#used.set(component, [name, io]);
    return ref('schemas', component);
  }

  #componentName(name: string, io: Io): string {
    if (io === 'output') return name;
    let input = this.#inputNames.get(name);
    if (input === undefined) {
      const type = [...this.#names].find(([, candidate]) => candidate === name)![0];
      const forms = (['input', 'output'] as const).map((form) => JSON.stringify(this.#convert(type, form, false)));
      input = forms[0] === forms[1] ? name : `${name}Input`;
      this.#inputNames.set(name, input);
    }
    return input;
  }

  /** The schema itself (its root inline), with each named schema below it a reference (`use`: one that counts). */
  #convert(type: z.ZodType, io: Io, use: boolean): Json {
    const schema = z.toJSONSchema(type, {
      io,
      unrepresentable: 'any',
      override: ({ zodSchema, jsonSchema }) => {
        // Zod hands its core type here; the map holds the classic types, the same objects.
        const node = zodSchema as unknown as z.ZodType;
        const name = this.#names.get(node);
        if (name === undefined || node === type) return;
        for (const key of Object.keys(jsonSchema)) Reflect.deleteProperty(jsonSchema, key);
        (jsonSchema as Json)['$ref'] = use ? this.#reference(name, io) : ref('schemas', this.#componentName(name, io));
      },
    }) as Json;
    delete schema['$schema'];
    return schema;
  }
}

/** RFC 9457 problem details: the body of every 4xx/5xx answer. */
export const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  required: ['type', 'title', 'status'],
};

/** `Retry-After` (seconds) on the statuses that carry it. */
const RETRY_AFTER = { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer', minimum: 0 } } };
const RETRY_STATUSES = new Set(['429', '503', '504']);

/** What the kit itself answers these for, on every service: the shared answer's own description. */
const KIT_DESCRIPTIONS: Record<string, string> = {
  '400': 'invalid input',
  '401': 'no valid access token, or its session ended',
  '403': 'not an administrator',
  '413': 'request body too large',
  '415': 'request body is not application/json',
  '431': 'request headers too large',
};

/** `413` → `PayloadTooLarge`: the name of a status's shared answer, from its reason phrase. */
export function problemResponseName(status: number | string): string {
  const phrase = STATUS_CODES[Number(status)];
  if (phrase === undefined) throw new Error(`no reason phrase for status ${status}`);
  return phrase.replace(/[^A-Za-z]/g, '');
}

/** The shared answer of an error status (`components.responses`): a problem, with `Retry-After` where it applies. */
export function problemResponseDefinition(status: number | string): Json {
  return {
    description: KIT_DESCRIPTIONS[String(status)] ?? STATUS_CODES[Number(status)]!,
    ...(RETRY_STATUSES.has(String(status)) ? { headers: RETRY_AFTER } : {}),
    content: { 'application/problem+json': { schema: { $ref: ref('schemas', 'Problem') } } },
  };
}

/**
 * An operation's answer for an error status: a reference to the status's shared answer, with the operation's
 * own description where it says more than the shared one (OpenAPI 3.1 lets a reference override it).
 */
export function problemResponse(status: number | string, description: string): Json {
  const shared = problemResponseDefinition(status)['description'];
  return {
    $ref: ref('responses', problemResponseName(status)),
    ...(description !== shared ? { description } : {}),
  };
}

/** `components.responses` for every error status the given responses use. */
export function problemResponseDefinitions(statuses: Iterable<string>): Json {
  const sorted = [...new Set(statuses)].sort();
  return Object.fromEntries(sorted.map((status) => [problemResponseName(status), problemResponseDefinition(status)]));
}
