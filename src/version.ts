/** The queuectl version; `deno.json` holds the same and a test keeps them equal. */
export const VERSION = "0.1.0";
