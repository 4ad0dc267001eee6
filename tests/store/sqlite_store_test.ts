/**
 * Runs the store contract against the SQLite store: every test on a fresh database file in its
 * own temporary directory.
 *
 * @module
 */
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/mod.ts";
import { storeContract } from "./store_contract.ts";

storeContract("sqlite", async () => {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-store-" });
  const path = join(dir, "queue.db");
  const opened: Store[] = [];
  const open = async () => {
    const store = await openStore({ kind: "sqlite", path });
    opened.push(store);
    return store;
  };
  const store = await open();
  return {
    store,
    openAnother: open,
    async cleanup() {
      for (const connection of opened) await connection.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});
