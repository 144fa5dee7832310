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
  responses?: Record<string, { description: string }>;
  "x-required-role"?: string;
};
type OpenApiDocument = {
  openapi: string;
  info: { description: string };
  paths: Record<string, Record<string, Operation>>;
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

  const renderOperation = (path: string, method: string, op: Operation): HTMLElement => {
    const verb = method.toUpperCase();
    const inputs: { name: string; where: string; input: HTMLInputElement | HTMLSelectElement }[] = [];
    const params = el("div", { class: "params" });
    for (const p of op.parameters ?? []) {
      const id = `${op.operationId}-${p.name}`;
      const input = inputFor(id, p);
      inputs.push({ name: p.name, where: p.in, input });
      const label = el("label", { for: id }, [p.name]);
      if (p.required) label.append(el("span", { class: "req" }, [" *"]));
      params.append(label, el("div", {}, [input, el("small", {}, [p.description ?? ""])]));
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
      out.replaceChildren(el("p", { class: "status" }, [`${verb} ${url} …`]));
      try {
        const res = await fetch(url, { method: verb, headers });
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
    const body = el("div", { class: "body" }, [el("p", {}, [op.description ?? ""]), params, send]);
    body.append(el("p", { class: "codes" }, [codes]), out);
    return el("details", { id: op.operationId }, [summary, body]);
  };

  const render = (doc: OpenApiDocument): void => {
    const intro = document.getElementById("intro") as HTMLElement;
    intro.replaceChildren(`${doc.info.description} `, el("a", { href: "/openapi.json" }, [`OpenAPI ${doc.openapi}`]));
    const groups = new Map<string, HTMLElement[]>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const tag = op.tags?.[0] ?? "Other";
        groups.set(tag, [...(groups.get(tag) ?? []), renderOperation(path, method, op)]);
      }
    }
    const main = document.getElementById("operations") as HTMLElement;
    for (const [tag, operations] of groups) main.append(el("h2", {}, [tag]), ...operations);
  };

  fetch("/openapi.json")
    .then((res) => res.json() as Promise<OpenApiDocument>)
    .then(render);
}
