/**
 * Exact SQL statement counts for benchmarks: a TCP proxy, in the benchmark's own process, between
 * one client process (a server under test) and PostgreSQL. It reads the frontend side of the wire
 * protocol (version 3) as it passes and counts every simple Query ('Q') and every Execute ('E') of
 * the extended protocol, with the SQL text each one ran: the text of a 'Q', or of the Parse ('P')
 * that prepared the statement the Execute's portal was bound to ('B'). Bytes are forwarded
 * unchanged in both directions; nothing is parsed on the way back.
 *
 *   const counter = await startStatementCounter("postgresql://postgres@127.0.0.1:5432/db");
 *   // start the client with DATABASE_URL = counter.url
 *   counter.reset(); …requests…; counter.count(); counter.statements();
 *   await counter.close();
 *
 * What counts as one statement: one 'Q' message (even if its text holds several statements
 * separated by semicolons, as `BEGIN`/`COMMIT` sent by Prisma are) and one 'E' message (a portal
 * executed twice, with a row limit, counts twice). Parse, Bind, Describe, Sync, Close and Flush
 * are not counted. An SSLRequest or GSSENCRequest is answered 'N' by the proxy itself (the client
 * then talks in clear to the proxy, and the proxy in clear to PostgreSQL), so the returned URL
 * drops any sslmode/ssl parameter. A CancelRequest is forwarded as is.
 *
 * Robust to messages split across TCP chunks (or many messages in one chunk), to large messages
 * (CopyData, big Bind parameters: skipped without being buffered; only the first
 * MAX_TEXT_BYTES of an SQL text are kept), and to any number of connections, each with its own
 * prepared statements and portals.
 */
import net from "node:net";

/** A running counter: point the client at `url`. */
export interface StatementCounter {
  /** The target's DATABASE_URL with host and port replaced by the proxy's. */
  readonly url: string;
  /** Statements ('Q' + 'E' messages) since the start or the last reset. */
  count(): number;
  /** The same statements by SQL text (a copy): text → how many times it ran. */
  statements(): Map<string, number>;
  /** Sets the count and the texts to zero (open connections and their prepared statements stay). */
  reset(): void;
  /** Client connections accepted so far, and open now. */
  connections(): { total: number; open: number };
  /** Stops listening and closes every connection (both sides). */
  close(): Promise<void>;
}

/** The longest SQL text kept from one message (the rest is skipped, not buffered). */
const MAX_TEXT_BYTES = 64 * 1024;
/** Bind starts with two names (at most NAMEDATALEN = 64 bytes each); the parameters after are skipped. */
const BIND_HEAD_BYTES = 256;
/** Startup-phase messages (StartupMessage, SSLRequest, CancelRequest) are small. */
const MAX_STARTUP_BYTES = 64 * 1024;

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

const UNKNOWN = "(a statement prepared before counting could see it)";

/** Reads NUL-terminated strings out of a message body. */
function cstrings(body: Buffer, n: number): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < n; i += 1) {
    const end = body.indexOf(0, at);
    // A text cut at MAX_TEXT_BYTES has no terminator: keep what there is.
    out.push(body.toString("utf8", at, end === -1 ? body.length : end));
    if (end === -1) break;
    at = end + 1;
  }
  return out;
}

/**
 * The frontend side of one connection, parsed incrementally. `push` takes the next bytes from the
 * client and returns what must be forwarded to PostgreSQL (everything, except SSL/GSS requests,
 * which it answers itself through `answer`).
 */
class FrontendParser {
  private phase: "startup" | "typed" | "opaque" = "startup";
  /** Startup phase: bytes of the untyped message read so far. */
  private startup: Buffer[] = [];
  private startupLength = 0;
  /** Typed phase: the 5-byte header (type, Int32 length) read so far. */
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  private type = 0;
  /** Body bytes still to keep for the current message, and those kept so far. */
  private keep = 0;
  private kept: Buffer[] = [];
  private keptLength = 0;
  /** Body bytes still to skip for the current message. */
  private skip = 0;
  /** Prepared statement name → SQL text; portal name → SQL text (this connection only). */
  private readonly prepared = new Map<string, string>();
  private readonly portals = new Map<string, string>();

  constructor(
    private readonly onStatement: (text: string) => void,
    private readonly answer: (bytes: Buffer) => void,
  ) {}

  push(chunk: Buffer): Buffer[] {
    if (this.phase === "typed") {
      this.typed(chunk, 0);
      return [chunk];
    }
    if (this.phase === "opaque") return [chunk];
    return this.startupPhase(chunk);
  }

  private startupPhase(chunk: Buffer): Buffer[] {
    const forward: Buffer[] = [];
    let at = 0;
    while (at < chunk.length && this.phase === "startup") {
      // Read the 4-byte length first, then the whole message.
      const held = this.startup.reduce((sum, b) => sum + b.length, 0);
      const want = held < 4 ? 4 - held : this.startupLength - held;
      const take = Math.min(want, chunk.length - at);
      this.startup.push(chunk.subarray(at, at + take));
      at += take;
      const total = held + take;
      if (total === 4 && this.startupLength === 0) {
        this.startupLength = Buffer.concat(this.startup).readInt32BE(0);
        if (this.startupLength < 8 || this.startupLength > MAX_STARTUP_BYTES) {
          // Not the protocol we know: stop looking, forward everything.
          forward.push(Buffer.concat(this.startup));
          this.startup = [];
          this.phase = "opaque";
          break;
        }
        continue;
      }
      if (this.startupLength > 0 && total === this.startupLength) {
        const message = Buffer.concat(this.startup);
        this.startup = [];
        this.startupLength = 0;
        const code = message.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.answer(Buffer.from("N"));
        } else if (code === CANCEL_REQUEST) {
          forward.push(message);
          this.phase = "opaque";
        } else {
          forward.push(message);
          this.phase = "typed";
        }
      }
    }
    if (at < chunk.length) {
      const rest = chunk.subarray(at);
      forward.push(rest);
      if (this.phase === "typed") this.typed(rest, 0);
    }
    return forward;
  }

  private typed(chunk: Buffer, start: number): void {
    let at = start;
    while (at < chunk.length) {
      if (this.keep > 0) {
        const take = Math.min(this.keep, chunk.length - at);
        this.kept.push(chunk.subarray(at, at + take));
        this.keptLength += take;
        this.keep -= take;
        at += take;
        if (this.keep === 0 && this.skip === 0) this.message();
        continue;
      }
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - at);
        this.skip -= take;
        at += take;
        if (this.skip === 0) this.message();
        continue;
      }
      const take = Math.min(5 - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + take);
      this.headerFill += take;
      at += take;
      if (this.headerFill < 5) continue;
      this.headerFill = 0;
      this.type = this.header[0];
      const length = this.header.readInt32BE(1);
      if (length < 4) {
        // Out of step with the stream: count nothing more on this connection.
        this.phase = "opaque";
        return;
      }
      const body = length - 4;
      const cap = this.capFor(this.type);
      this.keep = Math.min(body, cap);
      this.skip = body - this.keep;
      this.kept = [];
      this.keptLength = 0;
      if (body === 0) this.message();
    }
  }

  /** How much of a message body of `type` is worth keeping. */
  private capFor(type: number): number {
    switch (type) {
      case 0x51: // Q
      case 0x50: // P
        return MAX_TEXT_BYTES;
      case 0x42: // B
        return BIND_HEAD_BYTES;
      case 0x45: // E
      case 0x43: // C
        return 1024;
      default:
        return 0;
    }
  }

  /** A whole message has gone by (its kept head in `kept`). */
  private message(): void {
    const type = this.type;
    if (this.capFor(type) === 0) return;
    const body = this.kept.length === 1 ? this.kept[0] : Buffer.concat(this.kept, this.keptLength);
    this.kept = [];
    this.keptLength = 0;
    switch (type) {
      case 0x51: {
        // Query: the SQL text.
        this.onStatement(cstrings(body, 1)[0] ?? "");
        break;
      }
      case 0x50: {
        // Parse: statement name, SQL text.
        const [name, text] = cstrings(body, 2);
        this.prepared.set(name ?? "", text ?? "");
        break;
      }
      case 0x42: {
        // Bind: portal name, statement name.
        const [portal, statement] = cstrings(body, 2);
        this.portals.set(portal ?? "", this.prepared.get(statement ?? "") ?? UNKNOWN);
        break;
      }
      case 0x45: {
        // Execute: portal name.
        const [portal] = cstrings(body, 1);
        this.onStatement(this.portals.get(portal ?? "") ?? UNKNOWN);
        break;
      }
      case 0x43: {
        // Close: 'S' statement or 'P' portal, then its name. The unnamed ones are only replaced.
        const what = body[0];
        const [name] = cstrings(body.subarray(1), 1);
        if (name) (what === 0x53 ? this.prepared : this.portals).delete(name);
        break;
      }
    }
  }
}

/** Starts a counting proxy in front of the PostgreSQL server of `targetDatabaseUrl` (TCP only). */
export async function startStatementCounter(targetDatabaseUrl: string): Promise<StatementCounter> {
  const target = new URL(targetDatabaseUrl);
  const targetHost = target.hostname || "127.0.0.1";
  const targetPort = Number(target.port || 5432);

  let statements = 0;
  let texts = new Map<string, number>();
  let total = 0;
  const sockets = new Set<net.Socket>();
  const onStatement = (text: string) => {
    statements += 1;
    texts.set(text, (texts.get(text) ?? 0) + 1);
  };

  const server = net.createServer((client) => {
    total += 1;
    client.setNoDelay(true);
    const upstream = net.connect({ host: targetHost, port: targetPort });
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    // An end on one side ends the other once what is written has gone; an error drops both.
    const fail = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", fail);
    upstream.on("error", fail);
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    client.on("close", () => {
      sockets.delete(client);
      if (!upstream.writableEnded) upstream.end();
    });
    upstream.on("close", () => {
      sockets.delete(upstream);
      if (!client.writableEnded) client.end();
    });

    const parser = new FrontendParser(onStatement, (bytes) => client.write(bytes));
    client.on("data", (chunk: Buffer) => {
      let open = true;
      for (const bytes of parser.push(chunk)) open = upstream.write(bytes) && open;
      if (!open) {
        client.pause();
        upstream.once("drain", () => client.resume());
      }
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!client.write(chunk)) {
        upstream.pause();
        client.once("drain", () => upstream.resume());
      }
    });
  });
  server.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  const url = new URL(targetDatabaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  for (const parameter of ["sslmode", "ssl", "sslcert", "sslkey", "sslrootcert"]) url.searchParams.delete(parameter);

  return {
    url: url.toString(),
    count: () => statements,
    statements: () => new Map(texts),
    reset() {
      statements = 0;
      texts = new Map();
    },
    connections: () => ({ total, open: Math.floor(sockets.size / 2) }),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    },
  };
}
