/**
 * Runs the store contract against the PostgreSQL store: every test in a fresh schema of the
 * test database, dropped afterwards. When no server answers, every test is registered as
 * ignored (it shows in the summary), unless `QUEUECTL_REQUIRE_POSTGRES=1`, which makes a missing
 * server a failure (`postgresForTests` throws, so this module fails to load).
 *
 * @module
 */
import { openStore, type Store } from "../../src/store/mod.ts";
import { postgresForTests } from "../helpers/postgres.ts";
import { storeContract } from "./store_contract.ts";

const postgres = await postgresForTests();

storeContract("postgres", async () => {
  if (!postgres) throw new Error("unreachable: the tests are ignored without a server");
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
}, { ignore: postgres === undefined });
