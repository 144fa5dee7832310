/**
 * Failure grouping, pure: what a `last_error` normalises to (its kind kept, ids, order numbers
 * and numbers taken out), and how failures fall into groups with counts, times and samples.
 */
import { describe, expect, it } from "vitest";
import { type GroupableFailure, groupFailures, normaliseError, stripIdentifiers } from "../src/events/error-groups";
import { newUlid } from "../src/lib/ids";

describe("normalising an error", () => {
  it.each([
    [
      "keeps an Omisell HTTP status as the kind and strips the order number",
      'HTTP 404 from Omisell: {"detail":"Order OM2411280001 not found"}',
      { kind: "HTTP 404 from Omisell", message: '{"detail":"Order # not found"}' },
    ],
    [
      "reads an Omisell error envelope's code",
      "Omisell error 401: Invalid account key",
      { kind: "Omisell error 401", message: "Invalid account key" },
    ],
    [
      "strips a network error's host port and numbers",
      "network error: connect ECONNREFUSED 127.0.0.1:8788",
      { kind: "network error", message: "connect ECONNREFUSED #" },
    ],
    [
      "strips a timeout's milliseconds",
      "network error: timed out after 10000 ms",
      { kind: "network error", message: "timed out after # ms" },
    ],
    [
      "reads a malformed answer",
      "malformed answer from Omisell (not JSON): <html>502 Bad Gateway</html>",
      { kind: "malformed answer from Omisell", message: "(not JSON): <html># Bad Gateway</html>" },
    ],
    [
      "strips ULIDs and UUIDs",
      "dead letter: event 01JDQ3Z5J8X0K4M2N6P8R0T2V4 of request 3f1c2b4a-1111-4222-8333-123456789abc",
      { kind: "dead letter", message: "event # of request #" },
    ],
    [
      "gives an error without a kind the kind `error`",
      "something broke",
      { kind: "error", message: "something broke" },
    ],
    ["gives a missing error its own group", null, { kind: "no error recorded", message: "" }],
  ])("%s", (_case, text, expected) => {
    expect(normaliseError(text)).toMatchObject(expected);
  });

  it("gives the same key to errors that differ only in ids and numbers", () => {
    const a = normaliseError('HTTP 404 from Omisell: {"detail":"Order OM2411280001 not found"}');
    const b = normaliseError('HTTP 404 from Omisell: {"detail":"Order OM2411289999 not found"}');
    expect(a.key).toBe(b.key);
    expect(a.key).toMatch(/^[0-9a-f]{8}$/);
  });

  it("gives different keys to different statuses and different messages", () => {
    const keys = new Set(
      [
        "HTTP 404 from Omisell: not found",
        "HTTP 500 from Omisell: not found",
        "HTTP 404 from Omisell: gone",
        "Omisell error 404: not found",
      ].map((text) => normaliseError(text).key),
    );
    expect(keys.size).toBe(4);
  });

  it("collapses a run of numbers, as in a date and time, into one placeholder", () => {
    expect(stripIdentifiers("at 2024-11-28T08:00:00Z, retry 3")).toBe("at #, retry #");
  });

  it("cuts a long message", () => {
    expect(normaliseError(`error: ${"word ".repeat(100)}`).message.length).toBeLessThanOrEqual(200);
  });
});

describe("grouping failures", () => {
  let n = 0;
  const failure = (lastError: string | null, at: number): GroupableFailure => {
    n += 1;
    return { id: newUlid(at + n), last_error: lastError, processed_at: at, received_at: at - 1000 };
  };

  it("puts each failure in one group, counts them, and keeps the first and last time", () => {
    const failures = [
      failure("HTTP 404 from Omisell: Order OM1 not found", 1_000),
      failure("HTTP 404 from Omisell: Order OM2 not found", 3_000),
      failure("network error: timed out after 10000 ms", 2_000),
      failure("HTTP 404 from Omisell: Order OM3 not found", 2_000),
    ];
    const groups = groupFailures(failures);
    expect(groups.map((g) => [g.kind, g.count, g.first_seen, g.last_seen])).toEqual([
      ["HTTP 404 from Omisell", 3, 1_000, 3_000],
      ["network error", 1, 2_000, 2_000],
    ]);
    expect(groups.flatMap((g) => g.ids).sort()).toEqual(failures.map((f) => f.id).sort());
  });

  it("keeps the newest few of each group as samples", () => {
    const failures = [1, 2, 3, 4, 5].map((i) => failure(`HTTP 500 from Omisell: try ${i}`, i * 1000));
    const [group] = groupFailures(failures, 2);
    expect(group?.count).toBe(5);
    expect(group?.samples.map((s) => s.processed_at)).toEqual([5_000, 4_000]);
  });

  it("puts the largest group first, then the most recent", () => {
    const groups = groupFailures([
      failure("error: old but many", 1_000),
      failure("error: old but many", 1_001),
      failure("error: recent", 9_000),
      failure("error: older", 5_000),
    ]);
    expect(groups.map((g) => g.message)).toEqual(["old but many", "recent", "older"]);
  });

  it("times a failure that has no processed_at by its arrival", () => {
    const [group] = groupFailures([{ id: "x", last_error: "boom", processed_at: null, received_at: 42 }]);
    expect(group).toMatchObject({ first_seen: 42, last_seen: 42 });
  });
});
