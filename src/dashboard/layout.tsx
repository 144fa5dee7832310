/** The page frame every dashboard page shares: head, top bar with navigation and sign-out, the health banner. */
import type { Child } from "hono/jsx";
import type { Role } from "../auth/tokens";
import { CATEGORY_COLORS, CATEGORY_LABELS } from "./format";
import { HealthBanner } from "./health-banner";

/** Who is looking: their role, and the CSRF token their forms carry. */
export type Viewer = { role: Role; formToken: string };

/** The top bar's links, in order; a new page adds its line here. */
export const NAV = [
  { href: "/dashboard", label: "Overview" },
  { href: "/dashboard/failures", label: "Failures" },
  { href: "/dashboard/deliveries", label: "Deliveries" },
  { href: "/dashboard/destinations", label: "Destinations" },
  { href: "/dashboard/archive", label: "Archive" },
  { href: "/docs", label: "API reference" },
] as const;

/**
 * The whole page around `children`; without a viewer (signing in), no navigation and no banner.
 * `current` is the nav link of this page; `refreshSeconds` reloads the page (a meta refresh: the
 * CSP allows no script) for a page that shows work under way.
 */
export function Layout({
  title,
  viewer,
  current,
  refreshSeconds,
  children,
}: {
  title: string;
  viewer?: Viewer;
  current?: (typeof NAV)[number]["href"];
  refreshSeconds?: number;
  children: Child;
}) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        {refreshSeconds ? <meta http-equiv="refresh" content={String(refreshSeconds)} /> : null}
        <title>{`${title} · omisell-push`}</title>
        <link rel="stylesheet" href="/dashboard/style.css" />
        <link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml" />
      </head>
      <body>
        <header class="topbar">
          <div class="inner">
            <a class="brand" href="/dashboard">
              <span class="dot" />
              omisell-push
            </a>
            {viewer ? (
              <>
                <nav>
                  {NAV.map((link) => (
                    <a href={link.href} aria-current={link.href === current ? "page" : undefined}>
                      {link.label}
                    </a>
                  ))}
                </nav>
                <div class="who">
                  <span>{viewer.role === "admin" ? "Admin" : "Read-only"}</span>
                  <form method="post" action="/dashboard/sign-out">
                    <input type="hidden" name="csrf" value={viewer.formToken} />
                    <button class="ghost" type="submit">
                      Sign out
                    </button>
                  </form>
                </div>
              </>
            ) : null}
          </div>
        </header>
        <main class="inner">
          {viewer ? <HealthBanner /> : null}
          {children}
        </main>
      </body>
    </html>
  );
}

/** An event status as a coloured badge. */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge s-${status}`}>{status}</span>;
}

/** A category's label with its colour swatch. */
export function CategoryLabel({ category }: { category: string }) {
  return (
    <span class="cat">
      <svg class="swatch" width="8" height="8" aria-hidden="true">
        <rect width="8" height="8" rx="2" fill={CATEGORY_COLORS[category] ?? "#94a3b8"} />
      </svg>
      {CATEGORY_LABELS[category] ?? category}
    </span>
  );
}
