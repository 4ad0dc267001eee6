/**
 * Runs the store contract against the PostgreSQL store: every test in a fresh schema of the
 * test database, dropped afterwards. Skipped when no server answers, unless
 * `QUEUECTL_REQUIRE_POSTGRES=1`, which makes a missing server a failure.
 *
 * @module
 */
import { openStore, type Store } from "../../src/store/mod.ts";
import { postgresForTests } from "../helpers/postgres.ts";
import { storeContract } from "./store_contract.ts";

const postgres = await postgresForTests();

if (postgres) {
  storeContract("postgres", async () => {
    const schema = await postgres.createSchemaName();
    const url = postgres.urlFor(schema);
    const opened: Store[] = [];
    const open = async () => {
      const store = await openStore({ kind: "postgres", url });
      opened.push(store);
      return store;
    };
    const store = await open();
    return {
      store,
      openAnother: open,
      async cleanup() {
        for (const connection of opened) await connection.close();
        await postgres.dropSchema(schema);
      },
    };
  });
}
