import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import { createClient } from "graphql-ws";
import { createElement } from "react";
import { createRoot } from "react-dom/client";
import { storedToken } from "../api/session";

/**
 * GraphiQL, served by the API itself from local files. It uses the token of the console's
 * session in this tab (HTTP header and graphql-ws connection_init), so what it shows is what the
 * signed-in account may read.
 */
const token = storedToken();
const authorization = token ? `Bearer ${token}` : undefined;
const url = `${location.origin}/graphql`;
const wsClient = createClient({
  url: `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`,
  lazy: true,
  connectionParams: authorization ? { authorization } : {},
});
const fetcher = createGraphiQLFetcher({ url, headers: authorization ? { authorization } : {}, wsClient });

const defaultQuery = token
  ? "# 已使用控制台的登录身份。按 Ctrl+Enter 运行。\n{\n  me {\n    username\n    role\n  }\n}\n"
  : "# 未登录：先在控制台 / 登录，或在下方 Headers 中填写 Authorization。\nmutation {\n  login(username: \"\", password: \"\") {\n    token\n  }\n}\n";

createRoot(document.getElementById("ide")!).render(createElement(GraphiQL, { fetcher, defaultQuery, defaultEditorToolsVisibility: !token }));
