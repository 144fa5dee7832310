/** Names the Omisell stand-in of the workers tests answers in a special way (shared with the tests, which run in workerd). */

/** Any credential containing this is refused with Omisell's 401. */
export const REFUSED_CREDENTIAL = "refused-key";
