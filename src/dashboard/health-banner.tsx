/**
 * The banner every dashboard page shows while /health/pipeline is degraded: each reason in words,
 * with a link to where it is acted on. One table maps a reason to its words; a reason added to
 * PIPELINE_REASONS is one more line here, and one the table does not know is shown generically.
 */
import { createContext, useContext } from "hono/jsx";
import type { PipelineReason } from "../health/pipeline";
import type { PipelineHealthView } from "../read-model/health";

/** What a reason means for the operator, and where to go about it. */
export type ReasonAction = { says: string; href: string; action: string };

const RECONCILIATION = "/dashboard#reconciliation";

/** Each reason in words, with the page where it is acted on. */
export const REASON_ACTIONS: Record<PipelineReason, ReasonAction> = {
  backlog_stale: {
    says: "Events have waited too long for their follow-up.",
    href: "/dashboard?status=received",
    action: "See the waiting events",
  },
  failures: { says: "Events failed recently.", href: "/dashboard/failures", action: "See the failures" },
  silence: {
    says: "No push has arrived for a while, yet reconciliation found order changes.",
    href: RECONCILIATION,
    action: "See reconciliation",
  },
  missed_pushes: {
    says: "Reconciliation keeps finding order changes that no push told about.",
    href: RECONCILIATION,
    action: "See the missed pushes",
  },
  reconcile_stale: {
    says: "Reconciliation has not succeeded lately.",
    href: RECONCILIATION,
    action: "See the last run",
  },
  deliveries_failing: {
    says: "Deliveries to the forwarding destination keep failing.",
    href: "/dashboard/deliveries",
    action: "See the deliveries",
  },
  archive_failing: {
    says: "Retention could not write to the archive in its last runs: nothing is deleted until it can.",
    href: "/dashboard/archive",
    action: "See the archive",
  },
  freshness: {
    says: "Events take longer than they should from arrival to settled (the last hour's p95).",
    href: "/dashboard#freshness-title",
    action: "See push to settled",
  },
  reconcile_gap: {
    says: "Reconciliation skipped a window that failed three times: changes in it may be missing until a manual run lists it.",
    href: RECONCILIATION,
    action: "See reconciliation",
  },
};

/** The words and link of `reason`; a reason the table does not know gets its name and the health check. */
export function describeReason(reason: string): ReasonAction {
  const known = (REASON_ACTIONS as Record<string, ReasonAction | undefined>)[reason];
  return (
    known ?? { says: `The pipeline reports “${reason}”.`, href: "/health/pipeline", action: "See the health check" }
  );
}

/** The health read for this page (kit.tsx provides it); null: not read, no banner. */
export const HealthContext = createContext<PipelineHealthView | null>(null);

/** Shown while the pipeline is degraded; nothing while it is ok. */
export function HealthBanner() {
  const health = useContext(HealthContext);
  if (!health || health.status === "ok") return null;
  return (
    <section class="health-banner" role="alert" aria-labelledby="health-title">
      <h2 id="health-title">The pipeline needs attention</h2>
      <ul>
        {(health.reasons ?? []).map((reason) => {
          const { says, href, action } = describeReason(reason);
          return (
            <li data-reason={reason}>
              {says} <a href={href}>{action} →</a>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
