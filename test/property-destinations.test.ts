/**
 * Property (fast-check), the change feed's random interleavings extended to destinations: whatever
 * order inserts, status changes and walks commit in (walks racing each other included), once the
 * walks are done every destination holds exactly one delivery for the current settlement of every
 * event its filter takes, none for an event it does not take, and never two for one settlement.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DestinationFilter } from "../src/events/destination-filter";
import type { EventStatus } from "../src/events/vocabulary";
import { liveForwardDeps } from "../src/forward/deps";
import { remove } from "../src/forward/destinations";
import { walkDestinations } from "../src/forward/walker";
import type { DeliveryRow } from "../src/store/deliveries";
import { adminDepsOf, createTestDestination, forwardEnv, recordingQueue } from "./helpers/forward";
import { storeEvent, uniqueSeller } from "./helpers/read-api";

const NAMES = ["order.shipped", "order.created", "shipment.delivered"] as const;
const SETTLED = ["processed", "skipped", "failed"];

type Step =
  | { kind: "insert"; key: number; name: number }
  | { kind: "status"; key: number; status: EventStatus }
  | { kind: "walk" };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), key: fc.nat(6), name: fc.nat(NAMES.length - 1) }),
  fc.record({
    kind: fc.constant("status" as const),
    key: fc.nat(6),
    status: fc.constantFrom<EventStatus>("received", "processed", "skipped", "failed"),
  }),
  fc.constant({ kind: "walk" as const }),
);
const rounds = fc.array(fc.array(step, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 });

/** The filter's meaning, written independently of the SQL that applies it. */
function takes(
  filter: DestinationFilter,
  event: { event: string; status: string; seller_id: string; category: string },
) {
  if (!SETTLED.includes(event.status)) return false;
  if (
    filter.events &&
    !filter.events.some((f) => f === event.event || (f.endsWith(".") && event.event.startsWith(f)))
  ) {
    return false;
  }
  if (filter.categories && !filter.categories.includes(event.category)) return false;
  if (filter.statuses && !filter.statuses.includes(event.status)) return false;
  if (filter.seller_ids && !filter.seller_ids.includes(event.seller_id)) return false;
  return true;
}

describe("destinations following the change feed", () => {
  it("hold exactly one delivery per current settlement each takes, whatever the interleaving", async () => {
    const { queue } = recordingQueue();
    const workerEnv = forwardEnv({}, queue);
    const deps = liveForwardDeps(workerEnv);
    await fc.assert(
      fc.asyncProperty(rounds, async (plan) => {
        const seller = uniqueSeller();
        const filters: DestinationFilter[] = [
          { seller_ids: [seller] },
          { seller_ids: [seller], statuses: ["processed"] },
          { seller_ids: [seller], events: ["shipment."] },
        ];
        const destinations = await Promise.all(
          filters.map(async (filter) => ({
            filter,
            ...(await createTestDestination(workerEnv, "property", { filter })),
          })),
        );
        const ids = new Map<number, string>();
        for (const round of plan) {
          await Promise.all(
            round.map(async (s) => {
              if (s.kind === "walk") return void (await walkDestinations(deps, Date.now()));
              if (s.kind === "insert") {
                if (ids.has(s.key)) return;
                ids.set(s.key, "");
                const name = NAMES[s.name] ?? "order.shipped";
                const row = await storeEvent({ seller_id: seller, event: name, category: name.split(".")[0] });
                ids.set(s.key, row.id);
                return;
              }
              const id = ids.get(s.key);
              if (id) await env.DB.prepare("UPDATE events SET status = ?2 WHERE id = ?1").bind(id, s.status).run();
            }),
          );
        }
        await walkDestinations(deps, Date.now());

        const { results: events } = await env.DB.prepare(
          "SELECT id, event, status, seller_id, category, seq FROM events WHERE seller_id = ?1",
        )
          .bind(seller)
          .all<{ id: string; event: string; status: string; seller_id: string; category: string; seq: number }>();
        for (const destination of destinations) {
          const { results: deliveries } = await env.DB.prepare("SELECT * FROM deliveries WHERE destination_id = ?1")
            .bind(destination.id)
            .all<DeliveryRow>();
          const keys = deliveries.map((d) => `${d.event_id}|${d.settlement}`);
          expect(new Set(keys).size).toBe(keys.length);
          for (const event of events) {
            const current = deliveries.filter(
              (d) => d.event_id === event.id && d.settlement === `${event.status}:${event.seq}`,
            );
            expect(current, `${destination.id} ${event.id} ${event.status}`).toHaveLength(
              takes(destination.filter, event) ? 1 : 0,
            );
          }
          for (const delivery of deliveries) {
            const event = events.find((e) => e.id === delivery.event_id);
            const [status = "", seq = "0"] = delivery.settlement.split(":");
            expect(event, delivery.event_id).toBeDefined();
            expect(SETTLED).toContain(status);
            expect(Number(seq)).toBeLessThanOrEqual(event?.seq ?? 0);
            expect(
              takes(destination.filter, { ...(event ?? { event: "", seller_id: "", category: "" }), status }),
            ).toBe(true);
          }
        }
        for (const destination of destinations) await remove(adminDepsOf(workerEnv), destination.id);
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
