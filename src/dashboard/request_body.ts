/**
 * Request bodies, read with a byte cap: a declared `Content-Length` over the cap is refused
 * before anything is read, and a streamed body (chunked, with no length) is read only up to the
 * cap. No request makes the dashboard hold more than the cap in memory, whatever it declares.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";

/** A refusal of the request itself: answered as `{"error": message}` with `status`. */
export class HttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
  }
}

/** The body's bytes: 413 beyond `maxBytes` (declared or counted), 400 when it breaks off. */
export async function readBody(
  request: Request,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (request.body === null) return new Uint8Array(new ArrayBuffer(0));
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        // Stop the upload here rather than buffer what a client may keep sending forever.
        reader.cancel().catch(() => {});
        throw tooLarge(maxBytes);
      }
      parts.push(value);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, `Cannot read the request body: ${errorMessage(error)}`);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/**
 * The body as JSON (`emptyAs` when it is empty or blank, if given): 400 unless it is UTF-8 and
 * JSON, and with no `"__proto__"` key anywhere (an own property of that name turns into the
 * prototype as soon as some code copies the object with `Object.assign`).
 */
export async function readJsonBody(
  request: Request,
  maxBytes: number,
  emptyAs?: unknown,
): Promise<unknown> {
  const bytes = await readBody(request, maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "Invalid request body: it is not UTF-8");
  }
  if (text.trim() === "" && emptyAs !== undefined) return emptyAs;
  try {
    return JSON.parse(text, (key, value) => {
      if (key === "__proto__") {
        throw new HttpError(400, 'Invalid JSON body: the key "__proto__" is not allowed');
      }
      return value;
    });
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, `Invalid JSON body: ${errorMessage(error)}`);
  }
}

/**
 * The fields of a form body (`application/x-www-form-urlencoded` or `multipart/form-data`),
 * read up to `maxBytes`; any other or unparsable body has no fields.
 */
export async function readFormBody(request: Request, maxBytes: number): Promise<URLSearchParams> {
  const bytes = await readBody(request, maxBytes);
  const type = request.headers.get("content-type") ?? "";
  if (type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    return new URLSearchParams(new TextDecoder().decode(bytes));
  }
  const fields = new URLSearchParams();
  if (type.toLowerCase().startsWith("multipart/form-data")) {
    try {
      // Parsed from the bytes already read, so the cap holds for multipart too (the boundary is
      // case-sensitive: the header goes as it came).
      const form = await new Response(bytes, { headers: { "content-type": type } }).formData();
      for (const [name, value] of form) if (typeof value === "string") fields.append(name, value);
    } catch {
      // An unparsable form has no fields: for the login, a wrong token.
    }
  }
  return fields;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, `Request body too large: the limit is ${maxBytes} bytes`);
}
