/** The page frame every dashboard page shares: head, top bar with navigation and sign-out. */
import type { Child } from "hono/jsx";
import type { Role } from "../auth/tokens";
import { CATEGORY_COLORS, CATEGORY_LABELS } from "./format";

/** Who is looking: their role, and the CSRF token their forms carry. */
export type Viewer = { role: Role; formToken: string };

/** The whole page around `children`; without a viewer (signing in), no navigation. */
export function Layout({ title, viewer, children }: { title: string; viewer?: Viewer; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
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
                  <a href="/dashboard">Overview</a>
                  <a href="/dashboard?status=failed">Failures</a>
                  <a href="/dashboard/deliveries">Deliveries</a>
                  <a href="/dashboard/destinations">Destinations</a>
                  <a href="/docs">API reference</a>
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
        <main class="inner">{children}</main>
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
