// A third-party MCP client: the official TypeScript SDK
// (@modelcontextprotocol/sdk, installed by `make mcp-client`) lists the
// tools, calls search, reads a document resource and sends an unknown
// argument, printing what it sees. Run by TestServe_mcpThirdParty.
//
//   node mcp-client.mjs SDK_DIR stdio QUESTION COMMAND ARGS...
//   node mcp-client.mjs SDK_DIR http QUESTION URL [API_KEY]
import path from "node:path";
import { pathToFileURL } from "node:url";

const [sdkDir, transportKind, question, ...rest] = process.argv.slice(2);
const sdk = (p) => import(pathToFileURL(path.join(sdkDir, "node_modules/@modelcontextprotocol/sdk/dist/esm", p)).href);
const { Client } = await sdk("client/index.js");

let transport;
if (transportKind === "stdio") {
  const { StdioClientTransport } = await sdk("client/stdio.js");
  transport = new StdioClientTransport({ command: rest[0], args: rest.slice(1), env: process.env, stderr: "inherit" });
} else {
  const { StreamableHTTPClientTransport } = await sdk("client/streamableHttp.js");
  const headers = rest[1] ? { Authorization: `Bearer ${rest[1]}` } : {};
  transport = new StreamableHTTPClientTransport(new URL(rest[0]), { requestInit: { headers } });
}

const client = new Client({ name: "semsearch-test-client", version: "1.0.0" });
await client.connect(transport);
const info = client.getServerVersion();
console.log(`server: ${info.name} ${info.version}`);
console.log(`instructions: ${client.getInstructions()}`);
const { tools } = await client.listTools();
for (const t of tools) {
  console.log(`tool: ${t.name} readOnly=${t.annotations?.readOnlyHint === true} input=${Object.keys(t.inputSchema.properties ?? {}).join(",")}`);
}
const res = await client.callTool({ name: "search", arguments: { query: question, k: 2 } });
console.log(`search isError=${res.isError === true}`);
console.log(res.content[0].text);
const first = res.structuredContent.results[0];
console.log(`structured: ${res.structuredContent.results.length} results; first doc_id=${first.doc_id} lines=${first.line_start}-${first.line_end} score=${first.score.toFixed(3)}`);
const doc = await client.readResource({ uri: first.uri });
console.log(`resource ${first.uri}: ${doc.contents[0].text.length} characters`);
const bad = await client.callTool({ name: "search", arguments: { query: question, colection: "typo" } });
console.log(`unknown argument: isError=${bad.isError === true} ${bad.content[0].text}`);
await client.close();
