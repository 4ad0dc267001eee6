/*
 * The dashboard's operator controls, served as `/assets/operator.js` before `app.js`: running
 * finished jobs again (one, or every one the jobs list's filter matches, after a dry run that
 * shows how many) and editing a waiting job. It only defines `self.queuectlOperator(kit)`; app.js
 * calls it with its DOM and API helpers and places what it returns. Same rules as app.js: data
 * reaches the page as text only, every POST goes through `kit.api` (JSON, X-CSRF-Token).
 *
 * Hooks for browser tests:
 * - Job page: `button[data-action="retry"]` (completed, dead, canceled),
 *   `button[data-action="edit"]` (pending, failed, blocked) opening `form#edit-form` with
 *   `command`, `priority`, `run_at`, `env` (NAME=VALUE lines, added to the job's),
 *   `button[data-action="save-edit"]`, `button[data-action="run-now"]` and `#edit-error`.
 * - Jobs list: `button[data-action="retry"][data-job-id]` on finished rows;
 *   `button[data-action="retry-matching"]` (states all/completed/dead/canceled) opens
 *   `#retry-confirm` (`data-count`) with `button[data-action="confirm-retry"]` and
 *   `button[data-action="cancel-retry"]`.
 */
"use strict";
self.queuectlOperator = (kit) => {
  const FINISHED = ["completed", "dead", "canceled"];
  const WAITING = ["pending", "failed", "blocked"];
  const h = kit.h;

  /** "Retried x" / "x stays as it is …": what a retry answer says, for the flash. */
  function retriedText(d) {
    const retried = (d && d.retried) || [];
    const kept = (d && d.kept) || [];
    const parts = [];
    if (retried.length) {
      parts.push(
        "Retried " + (retried.length === 1 ? retried[0] : kit.plural(retried.length, "job")),
      );
    }
    if (kept.length) {
      parts.push(
        kit.plural(kept.length, "job") + " kept as " + (kept.length === 1 ? "it is" : "they are") +
          ": an unfinished job holds " + (kept.length === 1 ? "its" : "their") + " unique key",
      );
    }
    return parts.join("; ") || "Nothing to retry";
  }

  /** A Retry button for one finished job (POST /api/jobs/retry {ids}). */
  function retryButton(id, cls) {
    return h("button", {
      type: "button",
      class: cls,
      "data-action": "retry",
      "data-job-id": id,
      title: "Run it again: back to pending, attempts reset (its runs are kept)",
      onclick: (e) => {
        kit.act(e.currentTarget, "POST", "/api/jobs/retry", { ids: [id] }, retriedText);
      },
    }, "Retry");
  }

  /** The job page's part: its action buttons and the edit form (shown under the header). */
  function jobView(id) {
    let job = null;
    /** The form's values when it opened: only what the user changed from them is sent. */
    let shown = null;
    const err = h("p", { id: "edit-error", class: "form-error", role: "alert", hidden: true });
    const command = h("textarea", { name: "command", rows: 2, spellcheck: "false" });
    const priority = h("input", { name: "priority", type: "text", inputmode: "numeric" });
    const runAt = h("input", {
      name: "run_at",
      type: "text",
      spellcheck: "false",
      placeholder: "2026-12-01T09:00:00Z",
    });
    const env = h("textarea", {
      name: "env",
      rows: 2,
      spellcheck: "false",
      placeholder: "NAME=VALUE, one a line",
    });
    const envNow = h("span", { class: "hint" });
    const save = h(
      "button",
      { type: "submit", class: "btn primary", "data-action": "save-edit" },
      "Save",
    );
    const form = h(
      "form",
      {
        id: "edit-form",
        class: "edit-form",
        novalidate: true,
        autocomplete: "off",
        onsubmit: submit,
      },
      h("label", { class: "f-command" }, "Command", command),
      h("label", null, "Priority", priority),
      h(
        "label",
        null,
        "Run at",
        h(
          "span",
          { class: "with-button" },
          runAt,
          h("button", {
            type: "button",
            class: "btn small",
            "data-action": "run-now",
            title: "Set run at to now: it runs as soon as a worker is free",
            onclick: () => {
              runAt.value = new Date().toISOString();
            },
          }, "Now"),
        ),
        h("span", { class: "hint" }, "an ISO time with its zone; a past time: at once"),
      ),
      h("span"),
      h("label", { class: "f-env" }, "Add environment ", envNow, env),
      h(
        "div",
        { class: "f-actions" },
        save,
        h("button", {
          type: "button",
          class: "btn",
          "data-action": "close-edit",
          onclick: () => open(false),
        }, "Close"),
      ),
      err,
    );
    const panel = h(
      "section",
      { id: "edit-panel", class: "panel edit-panel", hidden: true },
      h("h2", null, "Edit waiting job"),
      form,
    );
    const editButton = h("button", {
      type: "button",
      class: "btn",
      "data-action": "edit",
      "aria-expanded": "false",
      "aria-controls": "edit-panel",
      onclick: () => open(panel.hidden),
    }, "Edit");

    function open(show) {
      panel.hidden = !show;
      editButton.setAttribute("aria-expanded", show ? "true" : "false");
      err.hidden = true;
      if (!show || !job) return;
      // Starts from the job as it is now; only what differs from it is sent.
      command.value = job.command;
      priority.value = String(job.priority);
      runAt.value = typeof job.run_at === "string" && job.run_at !== "invalid" ? job.run_at : "";
      shown = { command: command.value, priority: priority.value, run_at: runAt.value };
      env.value = "";
      const names = Object.keys(job.env || {});
      envNow.textContent = names.length
        ? "(replaces those of the same name; it has " + names.join(", ") + ")"
        : "(it has none)";
      command.focus();
    }

    function submit(e) {
      e.preventDefault();
      if (!job || !shown) return;
      const body = {};
      if (command.value !== shown.command) body.command = command.value;
      const p = priority.value.trim();
      // A number goes as a number; anything else as typed, for the server to refuse.
      if (p !== shown.priority.trim()) body.priority = /^[-+]?\d+(\.\d+)?$/.test(p) ? Number(p) : p;
      const r = runAt.value.trim();
      if (r !== shown.run_at) body.run_at = r;
      // Values as typed (spaces kept); a name "__proto__" stays a key, for the server to refuse.
      const lines = env.value.split("\n").filter((l) => l.trim() !== "");
      if (lines.length) {
        body.env = Object.create(null);
        for (const line of lines) {
          const eq = line.indexOf("=");
          if (line.slice(0, Math.max(eq, 0)).trim() === "") {
            err.textContent = "Environment lines are NAME=VALUE: " + JSON.stringify(line.trim());
            err.hidden = false;
            return;
          }
          body.env[line.slice(0, eq).trim()] = line.slice(eq + 1);
        }
      }
      if (!Object.keys(body).length) {
        err.textContent = "Nothing changed";
        err.hidden = false;
        return;
      }
      save.disabled = true;
      err.hidden = true;
      kit.api("POST", "/api/jobs/" + encodeURIComponent(id) + "/edit", body).then((j) => {
        open(false);
        kit.flash("Edited " + ((j && j.id) || id), "ok");
      }, (error) => {
        err.textContent = error.message;
        err.hidden = false;
      }).then(() => {
        save.disabled = false;
        kit.tick();
      });
    }

    return {
      panel: panel,
      /** The buttons for the job's state (the page rebuilds them when the state changes). */
      actions: (j) => {
        if (FINISHED.indexOf(j.state) >= 0) return [retryButton(id, "btn primary")];
        if (WAITING.indexOf(j.state) >= 0) return [editButton];
        return [];
      },
      /** Each refresh: a job no longer waiting cannot be edited, so its form closes. */
      render: (j) => {
        job = j;
        if (WAITING.indexOf(j.state) < 0 && !panel.hidden) open(false);
      },
    };
  }

  /** The jobs list's part: Retry on finished rows, and "Retry matching" for the filter. */
  function jobsList() {
    let filter = null;
    let what = { state: "finished", queue: "" };
    /** "12 dead jobs in queue images" */
    function describe(n) {
      return n + " " + what.state + " job" + (n === 1 ? "" : "s") +
        (what.queue ? " in queue " + what.queue : "");
    }
    const bar = h("div", {
      id: "retry-confirm",
      class: "confirm-bar",
      role: "alert",
      hidden: true,
    });
    const button = h("button", {
      type: "button",
      class: "btn",
      "data-action": "retry-matching",
      title: "Run again every finished job this filter matches (you confirm the count first)",
      onclick: (e) => {
        if (!filter) return;
        const sent = filter;
        const b = e.currentTarget;
        b.disabled = true;
        // A dry run first: it changes nothing and says how many would run again.
        kit.api("POST", "/api/jobs/retry", { filter: sent, dry_run: true }).then((d) => {
          if (sent === filter) confirm(sent, ((d && d.jobs) || []).length);
        }, (error) => {
          kit.flash(error.message, "error");
        }).then(() => {
          b.disabled = false;
        });
      },
    }, "Retry all finished…");

    function confirm(sent, count) {
      bar.setAttribute("data-count", String(count));
      bar.replaceChildren();
      if (!count) {
        kit.add(bar, [
          h("span", null, "No " + describe(0).replace(/^0 /, "") + " match: nothing to retry."),
          h("button", {
            type: "button",
            class: "btn small",
            "data-action": "cancel-retry",
            onclick: close,
          }, "OK"),
        ]);
      } else {
        kit.add(bar, [
          h("span", null, "Run " + describe(count) + " again?"),
          h(
            "span",
            { class: "hint" },
            " Back to pending with attempts reset; their runs are kept.",
          ),
          h("button", {
            type: "button",
            class: "btn danger",
            "data-action": "confirm-retry",
            onclick: (e) => {
              kit.act(
                e.currentTarget,
                "POST",
                "/api/jobs/retry",
                { filter: sent, dry_run: false },
                (d) => {
                  close();
                  return retriedText(d);
                },
              );
            },
          }, "Retry " + kit.plural(count, "job")),
          h("button", {
            type: "button",
            class: "btn",
            "data-action": "cancel-retry",
            onclick: close,
          }, "Cancel"),
        ]);
      }
      bar.hidden = false;
    }
    function close() {
      bar.hidden = true;
      bar.replaceChildren();
    }

    return {
      button: button,
      bar: bar,
      /** The list's filter changed (or not): what "Retry matching" would retry. */
      update: (p) => {
        const state = p.state || "";
        const finished = state === "" || FINISHED.indexOf(state) >= 0;
        const next = !finished || p.q ? null : {
          state: state ? [state] : FINISHED.slice(),
          queue: p.queue || undefined,
        };
        what = { state: state || "finished", queue: p.queue || "" };
        button.hidden = !finished;
        button.textContent = "Retry all " + what.state + "…";
        button.disabled = !next;
        button.title = p.q
          ? "Clear the search first: a retry filter takes state, queue and since only"
          : "Run again the " + describe(2).replace(/^2 /, "") + " (you confirm the count first)";
        if (JSON.stringify(next) !== JSON.stringify(filter)) close();
        filter = next;
      },
      /** A Retry button for a finished row, else nothing. */
      rowAction: (j) => FINISHED.indexOf(j.state) >= 0 ? retryButton(j.id, "btn small") : null,
    };
  }

  return { jobView: jobView, jobsList: jobsList };
};
