// The Node.js runtime: a Lambda Runtime API client for `file.function` handlers.
// CommonJS (require) and ES modules (.mjs, or "type": "module") are loaded; async,
// promise-returning and callback-style handlers are awaited, as AWS's runtime does.
"use strict";
const http = require("http");
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const slash = api.indexOf("/");
const [host, port] = (slash < 0 ? api : api.slice(0, slash)).split(":");
const prefix = (slash < 0 ? "" : api.slice(slash)) + "/2018-06-01/runtime";
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, route, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method, path: prefix + route, agent, headers: headers || {} },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function errorPayload(err) {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    errorType: e.name || "Error",
    errorMessage: e.message,
    trace: (e.stack || "").split("\n"),
  };
}

async function loadHandler(spec) {
  const dot = spec.lastIndexOf(".");
  if (dot < 1) {
    return { error: { errorType: "Runtime.MalformedHandlerName", errorMessage: `Bad handler ${spec}` } };
  }
  const modulePath = path.resolve(process.cwd(), spec.slice(0, dot));
  const name = spec.slice(dot + 1);
  let mod;
  try {
    const candidates = [".js", ".mjs", ".cjs"].map((ext) => modulePath + ext);
    const file = candidates.find((f) => fs.existsSync(f));
    if (!file) throw Object.assign(new Error(`Cannot find module '${spec.slice(0, dot)}'`), { code: "MODULE_NOT_FOUND" });
    const isEsm = file.endsWith(".mjs") || (file.endsWith(".js") && packageType(path.dirname(file)) === "module");
    mod = isEsm ? await import(pathToFileURL(file).href) : require(file);
  } catch (err) {
    if (err && err.code === "MODULE_NOT_FOUND") {
      return { error: { errorType: "Runtime.ImportModuleError", errorMessage: `Error: ${err.message}` } };
    }
    return { error: errorPayload(err) };
  }
  const handler = mod[name] || (mod.default && mod.default[name]);
  if (typeof handler !== "function") {
    return { error: { errorType: "Runtime.HandlerNotFound", errorMessage: `${spec} is undefined or not exported` } };
  }
  return { handler };
}

function packageType(dir) {
  for (let d = dir; ; d = path.dirname(d)) {
    const file = path.join(d, "package.json");
    if (fs.existsSync(file)) {
      try { return JSON.parse(fs.readFileSync(file, "utf8")).type || "commonjs"; } catch { return "commonjs"; }
    }
    if (path.dirname(d) === d) return "commonjs";
  }
}

function context(headers) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"] || 0);
  const env = process.env;
  return {
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    clientContext: headers["lambda-runtime-client-context"] ? JSON.parse(headers["lambda-runtime-client-context"]) : undefined,
  };
}

function run(handler, event, ctx) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      err ? reject(err) : resolve(result);
    };
    try {
      const out = handler(event, ctx, callback);
      if (out && typeof out.then === "function") out.then((r) => callback(null, r), (e) => callback(e));
      else if (handler.length < 3) callback(null, out);
    } catch (err) {
      callback(err);
    }
  });
}

async function main() {
  const loaded = await loadHandler(process.env._HANDLER);
  if (loaded.error) {
    console.error(JSON.stringify(loaded.error));
    await request("POST", "/init/error", JSON.stringify(loaded.error), { "Lambda-Runtime-Function-Error-Type": loaded.error.errorType });
    process.exit(1);
  }
  for (;;) {
    const next = await request("GET", "/invocation/next");
    const id = next.headers["lambda-runtime-aws-request-id"];
    try {
      const event = next.body.length ? JSON.parse(next.body.toString("utf8")) : null;
      const result = await run(loaded.handler, event, context(next.headers));
      await request("POST", `/invocation/${id}/response`, JSON.stringify(result === undefined ? null : result));
    } catch (err) {
      const payload = errorPayload(err);
      console.error(`${new Date().toISOString()}\t${id}\tERROR\tInvoke Error \t${JSON.stringify(payload)}`);
      await request("POST", `/invocation/${id}/error`, JSON.stringify(payload), { "Lambda-Runtime-Function-Error-Type": "Unhandled" });
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
