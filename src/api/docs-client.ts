/** The script of the /docs page, run in the browser: the operations of /openapi.json, each with a Send button. */

type Parameter = {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: { enum?: string[]; examples?: unknown[]; default?: unknown };
};
type Operation = {
  operationId: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description: string }>;
  "x-required-role"?: string;
  /** Documented, but not sent from this page (a push must be signed). */
  "x-no-send"?: boolean;
};
type Schema = { examples?: unknown[]; $ref?: string };
type OpenApiDocument = {
  openapi: string;
  info: { description: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

/**
 * Renders the operations and sends requests with the token typed into the page, which is kept in
 * sessionStorage, never in a cookie.
 *
 * Type-checked against the DOM by `tsconfig.docs.json` and kept out of the worker's own check (the
 * DOM and the Workers types clash); the worker sees it through `#docs-client`, whose `types`
 * condition is `docs-client.d.ts`. `docs-page.ts` serves `docsClient.toString()`, so the function
 * must be self-contained: no imports, nothing from the module around it.
 */
export function docsClient(): void {
  const TOKEN_KEY = "omisell-push-token";
  const SHOWN_MAX = 20_000;
  const tokenInput = document.getElementById("token") as HTMLInputElement;
  tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? "";
  tokenInput.addEventListener("input", () => sessionStorage.setItem(TOKEN_KEY, tokenInput.value));

  const el = (tag: string, attrs: Record<string, string> = {}, children: (Node | string)[] = []): HTMLElement => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  };

  /** A description's text with `code` and **bold** as elements; everything else stays text (never HTML). */
  const rich = (text: string): (Node | string)[] =>
    text.split(/(`[^`]+`|\*\*[^*]+\*\*)/).map((part) => {
      if (part.length > 2 && part.startsWith("`") && part.endsWith("`")) return el("code", {}, [part.slice(1, -1)]);
      if (part.length > 4 && part.startsWith("**") && part.endsWith("**")) return el("strong", {}, [part.slice(2, -2)]);
      return part;
    });

  const placeholderOf = (p: Parameter): string => {
    if (p.schema?.examples?.length) return String(p.schema.examples[0]);
    return p.schema?.default !== undefined ? String(p.schema.default) : "";
  };

  const inputFor = (id: string, p: Parameter): HTMLInputElement | HTMLSelectElement => {
    if (!p.schema?.enum) return el("input", { id, placeholder: placeholderOf(p) }) as HTMLInputElement;
    const options = ["", ...p.schema.enum].map((value) => el("option", { value }, [value]));
    return el("select", { id }, options) as HTMLSelectElement;
  };

  const pretty = (text: string): string => {
    let shown = text;
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // Not JSON: shown as it came.
    }
    return shown.length > SHOWN_MAX ? `${shown.slice(0, SHOWN_MAX)}\n…` : shown;
  };

  /** A body schema's first example, following one `$ref` into the components. */
  const exampleOf = (doc: OpenApiDocument, schema: Schema | undefined): unknown => {
    const ref = schema?.$ref?.split("/").at(-1);
    const resolved = ref ? doc.components?.schemas?.[ref] : schema;
    return resolved?.examples?.[0];
  };

  const renderOperation = (doc: OpenApiDocument, path: string, method: string, op: Operation): HTMLElement => {
    const verb = method.toUpperCase();
    const inputs: { name: string; where: string; input: HTMLInputElement | HTMLSelectElement }[] = [];
    const params = el("div", { class: "params" });
    for (const p of op.parameters ?? []) {
      const id = `${op.operationId}-${p.name}`;
      const input = inputFor(id, p);
      inputs.push({ name: p.name, where: p.in, input });
      const label = el("label", { for: id }, [p.name]);
      if (p.required) label.append(el("span", { class: "req" }, [" *"]));
      params.append(label, el("div", {}, [input, el("small", {}, rich(p.description ?? ""))]));
    }
    const jsonBody = op.requestBody?.content?.["application/json"];
    let bodyInput: HTMLTextAreaElement | null = null;
    if (jsonBody) {
      const id = `${op.operationId}-body`;
      const example = exampleOf(doc, jsonBody.schema);
      bodyInput = el("textarea", { id, rows: "4", spellcheck: "false" }) as HTMLTextAreaElement;
      bodyInput.value = example === undefined ? "{}" : JSON.stringify(example, null, 2);
      params.append(el("label", { for: id }, ["body (JSON)"]), el("div", {}, [bodyInput]));
    }
    const out = el("div");
    const send = el("button", { type: "button" }, ["Send"]);
    send.addEventListener("click", async () => {
      let url = path;
      const query = new URLSearchParams();
      for (const { name, where, input } of inputs) {
        const value = input.value.trim();
        if (where === "path") url = url.replace(`{${name}}`, encodeURIComponent(value));
        else if (value) query.set(name, value);
      }
      const search = query.toString();
      if (search) url += `?${search}`;
      const headers: Record<string, string> = {};
      if (tokenInput.value) headers.Authorization = `Bearer ${tokenInput.value}`;
      if (bodyInput) headers["Content-Type"] = "application/json";
      out.replaceChildren(el("p", { class: "status" }, [`${verb} ${url} …`]));
      try {
        const res = await fetch(url, { method: verb, headers, body: bodyInput ? bodyInput.value : undefined });
        const text = await res.text();
        out.replaceChildren(
          el("p", { class: "status" }, [`${verb} ${url} → ${res.status}`]),
          el("pre", {}, [pretty(text)]),
        );
      } catch (err) {
        out.replaceChildren(el("p", { class: "status" }, [`Request failed: ${err}`]));
      }
    });
    const codes = Object.entries(op.responses ?? {})
      .map(([code, response]) => `${code} ${response.description}`)
      .join(" · ");
    const summary = el("summary", {}, [
      el("span", { class: `method ${method}` }, [verb]),
      el("span", { class: "path" }, [path]),
      el("span", { class: "summary" }, [op.summary ?? ""]),
    ]);
    const role = op["x-required-role"];
    if (role) summary.append(el("span", { class: "role" }, [`${role} token`]));
    const actions = op["x-no-send"] ? [] : [send];
    const body = el("div", { class: "body" }, [el("p", {}, rich(op.description ?? "")), params, ...actions]);
    body.append(el("p", { class: "codes" }, [codes]), out);
    return el("details", { id: op.operationId }, [summary, body]);
  };

  const render = (doc: OpenApiDocument): void => {
    const intro = document.getElementById("intro") as HTMLElement;
    intro.replaceChildren(
      ...rich(`${doc.info.description} `),
      el("a", { href: "/openapi.json" }, [`OpenAPI ${doc.openapi}`]),
    );
    const groups = new Map<string, HTMLElement[]>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const tag = op.tags?.[0] ?? "Other";
        groups.set(tag, [...(groups.get(tag) ?? []), renderOperation(doc, path, method, op)]);
      }
    }
    const main = document.getElementById("operations") as HTMLElement;
    for (const [tag, operations] of groups) main.append(el("h2", {}, [tag]), ...operations);
  };

  fetch("/openapi.json")
    .then((res) => res.json() as Promise<OpenApiDocument>)
    .then(render);
}
