/**
 * Podium's OpenAPI operations, read from the shared files beside the repo (../shared relative to its root;
 * never copied into it). Specs skip, with a message, when the files are absent.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const specDir = fileURLToPath(new URL("../../../../shared/podium-openapi/", import.meta.url));

/** Whether the OpenAPI files are there; warns once when they are not. */
export const haveSpecs = existsSync(specDir);
if (!haveSpecs) console.warn(`skipping the OpenAPI coverage tests: ${specDir} is absent`);

/** One operation as its OpenAPI file describes it. */
export interface SpecOperation {
  method: string;
  path: string;
  status: number;
  scope: string;
  locationFields: string[];
}

type Json = Record<string, unknown>;

/** Every operation of every OpenAPI file (86). */
export function loadOperations(): SpecOperation[] {
  const ops: SpecOperation[] = [];
  for (const file of readdirSync(specDir).filter((f) => f.endsWith(".json"))) {
    const doc = JSON.parse(readFileSync(`${specDir}${file}`, "utf8")) as Json;
    const deref = (s: unknown): Json => {
      let v = s as Json;
      while (v !== undefined && typeof v["$ref"] === "string") v = (v["$ref"] as string).split("/").slice(1).reduce<Json>((o, k) => o[k] as Json, doc);
      return v;
    };
    for (const [path, item] of Object.entries(doc["paths"] as Record<string, Json>)) {
      for (const [method, rawOp] of Object.entries(item)) {
        if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
        const op = rawOp as Json;
        const status = Number(Object.keys(op["responses"] as Json).find((c) => c.startsWith("2")));
        const scope = /Required scope:\s*`?([A-Za-z_]+)`?/.exec(String(op["description"] ?? ""))?.[1] ?? "?";
        const fields: string[] = [];
        const names = ["locationUid", "locationUids", "locations", "organizationUid"];
        for (const p of (op["parameters"] as unknown[] | undefined) ?? []) {
          const param = deref(p);
          if (names.includes(param["name"] as string)) fields.push(`query.${param["name"] as string}${param["required"] === true ? "!" : ""}`);
        }
        const json = ((op["requestBody"] as Json | undefined)?.["content"] as Json | undefined)?.["application/json"] as Json | undefined;
        if (json !== undefined) {
          const schema = deref(json["schema"]);
          const required = (schema["required"] as string[] | undefined) ?? [];
          for (const name of Object.keys((schema["properties"] as Json | undefined) ?? {})) {
            if (names.includes(name)) fields.push(`body.${name}${required.includes(name) ? "!" : ""}`);
          }
        }
        ops.push({ method: method.toUpperCase(), path, status, scope, locationFields: fields.sort() });
      }
    }
  }
  return ops;
}

