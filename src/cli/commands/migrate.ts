import type { CommandDefinition } from "../command.ts";
import { json } from "../render.ts";

/** `queuectl migrate`: creates or upgrades the store's schema, and says which version it has. */
export const migrateCommand: CommandDefinition = {
  path: ["migrate"],
  summary: "Create or upgrade the database schema (also done on first use)",
  usage: ["migrate [--json]"],
  description: `
Every command creates and upgrades the schema when it first opens the database, so this is
never required; run it on its own when you roll out a new queuectl to many hosts and want the
upgrade done once, up front. Hosts that migrate at once take turns: each migration runs once.`,
  options: {
    json: { type: "boolean", description: 'print {"location","schema_version"} as JSON' },
  },
  examples: [
    "queuectl migrate",
    "QUEUECTL_DB=postgres://queue@db.internal/jobs queuectl migrate",
  ],
  async run(context, args) {
    const store = await context.store();
    const version = await store.schemaVersion();
    context.stdout(
      args.values.json
        ? json({ location: store.location, schema_version: version })
        : `Schema version ${version} at ${store.location}\n`,
    );
  },
};
